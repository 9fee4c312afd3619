using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Deployment;

/// <summary>
/// The main-branch workflow template (mlops-deploy.yml with its per-environment mlops-deploy-environment.yml): what it
/// runs on, the permissions each job gets, and the order of validate, containerize, staging, production and the alias
/// moves. That both pass actionlint and action-validator is held by ActionFilesTests, over every template.
/// </summary>
public sealed class DeployWorkflowTests
{
    private static Dictionary<object, object> Workflow(string file) => Manifests.Read(Path.Combine(Programs.RepositoryRoot, "templates", "workflows", file));

    private static Dictionary<object, object> Job(Dictionary<object, object> workflow, string name) => workflow.At("jobs", name);

    [Fact]
    public void The_deploy_workflow_runs_on_pushes_to_main_only_with_least_permissions_per_job()
    {
        var workflow = Workflow("mlops-deploy.yml");
        Assert.Equal(["push"], workflow.At("on").Keys.Cast<string>());
        Assert.Equal(["main"], workflow.At("on", "push").List("branches"));
        Assert.Empty(workflow.At("permissions"));
        Assert.Equal(["validate", "containerize", "deploy-staging", "deploy-production"], workflow.At("jobs").Keys.Cast<string>());
        foreach (var name in new[] { "validate", "deploy-staging", "deploy-production" })
        {
            Assert.Equal(new Dictionary<object, object> { ["contents"] = "read" }, Job(workflow, name).At("permissions"));
        }
        Assert.Equal(new Dictionary<object, object> { ["contents"] = "read", ["packages"] = "write" }, Job(workflow, "containerize").At("permissions"));
        Assert.DoesNotContain("pull_request", File.ReadAllText(Path.Combine(Programs.RepositoryRoot, "templates", "workflows", "mlops-deploy.yml")).Replace("never on pull_request", "", StringComparison.Ordinal));
    }

    [Fact]
    public void The_jobs_validate_then_containerize_then_deploy_to_staging_then_to_production()
    {
        var workflow = Workflow("mlops-deploy.yml");
        Assert.Equal("containerize", Job(workflow, "deploy-staging")["needs"]);
        Assert.Contains("deploy-staging", Job(workflow, "deploy-production").List("needs"));
        Assert.Equal("validate", Job(workflow, "containerize")["needs"]);
        Assert.Equal(("staging", "production"), ((string)Job(workflow, "deploy-staging").At("with")["environment"], (string)Job(workflow, "deploy-production").At("with")["environment"]));

        static Dictionary<object, object> Kit(Dictionary<object, object> job) =>
            job.List("steps").Cast<Dictionary<object, object>>().Single(s => ((string?)s.GetValueOrDefault("uses"))?.StartsWith("your-org/mlops-notebooks@", StringComparison.Ordinal) == true).At("with");
        Assert.Equal("validate", Kit(Job(workflow, "validate"))["command"]);
        var containerize = Kit(Job(workflow, "containerize"));
        Assert.Equal("containerize", containerize["command"]);
        Assert.Equal(["command", "image", "model", "push", "registry-password", "registry-username"], containerize.Keys.Cast<string>().Order(StringComparer.Ordinal));
        Assert.Equal("${{ secrets.GITHUB_TOKEN }}", containerize["registry-password"]);
        // The deploy jobs run the tag containerize made (the model version's), not one the workflow guesses.
        var build = Job(workflow, "containerize").List("steps").Cast<Dictionary<object, object>>().Single(s => (s.GetValueOrDefault("with") as Dictionary<object, object>)?.GetValueOrDefault("command") as string == "containerize");
        Assert.Equal($"${{{{ steps.{build["id"]}.outputs.image }}}}", Job(workflow, "containerize").At("outputs")["image"]);
        Assert.Equal("${{ needs.containerize.outputs.image }}", Job(workflow, "deploy-production").At("with")["image"]);
    }

    [Fact]
    public void An_environment_is_deployed_with_mlops_deploy_and_kubectl_and_its_alias_moves_only_after_the_rollout()
    {
        var workflow = Workflow("mlops-deploy-environment.yml");
        Assert.Equal(["workflow_call"], workflow.At("on").Keys.Cast<string>());
        var job = Job(workflow, "deploy");
        Assert.Equal("${{ inputs.environment }}", job["environment"]);
        var script = string.Join("\n", job.List("steps").Cast<Dictionary<object, object>>().Select(s => s.GetValueOrDefault("run") as string ?? ""));
        var order = new[] { "mlops deploy \"$MODEL@candidate\" --target kubernetes", "kubectl apply -f \"$MANIFESTS\"", "kubectl rollout status", "mlops models alias \"$MODEL\" \"$ENVIRONMENT\"" }
            .Select(command => script.IndexOf(command, StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, order);
        Assert.Equal(order.Order(), order);
        // Inputs and secrets reach scripts through env only, never spliced into them.
        Assert.DoesNotContain("${{", script);
    }
}
