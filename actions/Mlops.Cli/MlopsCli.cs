using System.CommandLine;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Cli;

/// <summary>
/// The `mlops` command line. Each command parses, calls one core service and renders; errors the user can fix map to
/// exit code 1 with a message and a hint, bad usage to 2, and nothing ever prints a stack trace.
/// </summary>
public static class MlopsCli
{
    public const int Ok = 0;
    public const int UserError = 1;
    public const int UsageError = 2;
    public const int InternalError = 70;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("MLOps for C# notebooks: experiment tracking, data and model versioning, pipelines.");
        root.Add(GlobalOptions.TrackingUri);
        root.Add(ExperimentsCommands.Create());
        root.Add(RunsCommands.Create());
        root.Add(ModelsCommands.Create());
        root.Add(NotebookCommands.Create());
        foreach (var command in DataCommands.Create())
        {
            if (command.Name == "data")
            {
                command.Add(ValidateCommands.SchemaInit());
            }
            root.Add(command);
        }
        root.Add(ValidateCommands.Validate());
        root.Add(new Command("action", "The GitHub Actions' steps: configured by INPUT_* variables as the runner sets them.")
        {
            ValidateCommands.ActionValidate(),
            ReportCommands.ActionReport(),
        });

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var problem in parsed.Errors)
            {
                error.WriteLine(LogText.Safe($"error: {problem.Message}"));
            }
            error.WriteLine("See 'mlops --help' or 'mlops <command> --help'.");
            return UsageError;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        // Messages quote input, and on a runner a token may be in them: everything printed goes through LogText.
        catch (MlopsException e)
        {
            error.WriteLine(LogText.Safe($"error: {e.Message}"));
            if (e.Hint is not null)
            {
                error.WriteLine(LogText.Safe(e.Hint));
            }
            return ErrorKinds.ExitCode(e.Kind);
        }
        catch (Exception e) when (EnvironmentException.From(e) is { } failure)
        {
            // The machine's fault (disk full, read-only, no permission), not a bug: a message and a hint, exit 1.
            error.WriteLine(LogText.Safe($"error: {failure.Message}"));
            error.WriteLine(LogText.Safe(failure.Hint ?? ""));
            return ErrorKinds.ExitCode(failure.Kind);
        }
        catch (Exception e)
        {
            // A bug of ours: say what, without a stack trace unless asked for.
            error.WriteLine(LogText.Safe($"mlops: internal error: {e.GetType().Name}: {e.Message}"));
            error.WriteLine(LogText.Safe(Environment.GetEnvironmentVariable("MLOPS_DEBUG") is "1" ? e.ToString() : "Set MLOPS_DEBUG=1 for details, and report it."));
            return InternalError;
        }
    }
}

/// <summary>Options every command takes.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> TrackingUri = new("--tracking-uri")
    {
        Description = "The tracking store (sqlite:///path.db or a file path); default: MLOPS_TRACKING_URI, else .mlops/mlops.db at the git root.",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json") { Description = "Write JSON for machines instead of a table." };

    public static TrackingClient OpenClient(ParseResult parse) => new(parse.GetValue(TrackingUri));

    /// <summary>For commands that only read: creates nothing, writes nothing, and says so when there is no store.</summary>
    public static TrackingClient OpenReader(ParseResult parse) => new(Storage.TrackingStores.OpenForReading(parse.GetValue(TrackingUri)));

    /// <summary>Writes the JSON view with --json, the text view otherwise.</summary>
    public static void Write(ParseResult parse, System.Text.Json.Nodes.JsonNode json, string text) =>
        parse.InvocationConfiguration.Output.Write(parse.GetValue(Json) ? Views.RunJson.Write(json) + "\n" : text);
}
