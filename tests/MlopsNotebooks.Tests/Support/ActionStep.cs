namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// An action's step as a runner runs it: `mlops action COMMAND` in the workspace, inputs as INPUT_* variables, and the
/// step's outputs and job summary read back from the files GITHUB_OUTPUT and GITHUB_STEP_SUMMARY name.
/// </summary>
public static class ActionStep
{
    public sealed record Result(int Code, string Stdout, string Stderr, IReadOnlyDictionary<string, string> Outputs, string Summary);

    /// <param name="files">Where the output and summary files go (a folder the test owns).</param>
    /// <param name="environment">More variables; a null value removes one.</param>
    public static Result Run(string command, string workspace, string files, IReadOnlyDictionary<string, string?> inputs,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var id = Guid.NewGuid().ToString("N");
        var output = Path.Combine(files, $".github-output-{id}");
        var summary = Path.Combine(files, $".github-summary-{id}");
        File.WriteAllText(output, "");
        File.WriteAllText(summary, "");
        var variables = new Dictionary<string, string?>
        {
            ["GITHUB_ACTIONS"] = "true",
            ["GITHUB_WORKSPACE"] = workspace,
            ["GITHUB_OUTPUT"] = output,
            ["GITHUB_STEP_SUMMARY"] = summary,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            variables[name] = value;
        }
        foreach (var (name, value) in inputs)
        {
            variables["INPUT_" + name.ToUpperInvariant()] = value;
        }
        var (code, stdout, stderr) = Programs.Run(Programs.Mlops, ["action", command], workspace, variables, timeoutSeconds: 300);
        // Each output is written as name<<delimiter, the value, the delimiter.
        var outputs = new Dictionary<string, string>();
        var lines = File.ReadAllText(output).Split('\n');
        for (var i = 0; i + 2 < lines.Length; i += 3)
        {
            outputs[lines[i][..lines[i].IndexOf("<<", StringComparison.Ordinal)]] = lines[i + 1];
        }
        return new Result(code, stdout, stderr, outputs, File.ReadAllText(summary));
    }
}
