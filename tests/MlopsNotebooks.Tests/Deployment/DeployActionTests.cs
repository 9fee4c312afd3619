using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Deployment;

/// <summary>`mlops action deploy` as the runner starts it: inputs in INPUT_*, outputs in GITHUB_OUTPUT.</summary>
public sealed class DeployActionTests
{
    private static (int ExitCode, string Output, string Error, string Outputs) Action(TempDirectory temp, Dictionary<string, string?> inputs)
    {
        File.WriteAllText(temp.File("github-output"), "");
        var environment = new Dictionary<string, string?>(inputs)
        {
            ["GITHUB_ACTIONS"] = "true",
            ["GITHUB_OUTPUT"] = temp.File("github-output"),
            ["MLOPS_TRACKING_URI"] = temp.File("no-store.db"),
        };
        var (exitCode, output, error) = Programs.Run(Programs.Mlops, ["action", "deploy"], temp.Path, environment);
        return (exitCode, output, error, File.ReadAllText(temp.File("github-output")));
    }

    [Fact]
    public void The_action_writes_a_canary_s_manifests_and_says_so_in_its_outputs_without_moving_an_alias()
    {
        using var temp = new TempDirectory();
        var (exitCode, output, error, outputs) = Action(temp, new()
        {
            ["INPUT_MODEL"] = "churn/3",
            ["INPUT_TARGET"] = "kubernetes",
            ["INPUT_IMAGE"] = "ghcr.io/acme/churn:3",
            ["INPUT_ENVIRONMENT"] = "staging",
            ["INPUT_OUTPUT"] = temp.File("k8s"),
            ["INPUT_CANARY"] = "true",
            ["INPUT_CANARY-STEPS"] = "20,60",
        });

        Assert.True(exitCode == 0, output + error);
        Assert.Matches(@"status<<(\w+)\nwritten\n\1\n", outputs);
        Assert.Matches(@"alias-moved<<(\w+)\nfalse\n\1\n", outputs);
        Assert.Matches(@"files<<(\w+)\n(.*\n)*.*churn-rollout\.yaml\n", outputs);
        var rollout = File.ReadAllText(Path.Combine(temp.File("k8s"), "churn-rollout.yaml"));
        Assert.Contains("setWeight: 20", rollout);
        Assert.Contains("setWeight: 60", rollout);
    }

    [Theory]
    [InlineData("INPUT_PORT", "eighty", "The input port is 'eighty'")]
    [InlineData("INPUT_MAX-P99-MS", "fast", "The input max-p99-ms is 'fast'")]
    [InlineData("INPUT_TARGET", "nomad", "'nomad' is not a deployment target")]
    [InlineData("INPUT_ENVIRONMENT", "prod env", "'prod env' is not an environment name")]
    public void A_bad_input_fails_the_step_with_a_message_and_no_stack_trace(string input, string value, string says)
    {
        using var temp = new TempDirectory();
        var inputs = new Dictionary<string, string?>
        {
            ["INPUT_MODEL"] = "churn/3",
            ["INPUT_IMAGE"] = "ghcr.io/acme/churn:3",
            ["INPUT_ENVIRONMENT"] = "staging",
            ["INPUT_CANARY"] = "true",
            [input] = value,
        };
        var (exitCode, output, error, outputs) = Action(temp, inputs);
        Assert.Equal(1, exitCode);
        Assert.Contains(says, output + error);
        Assert.DoesNotContain("   at ", output + error);
        Assert.Equal("", outputs);
    }
}
