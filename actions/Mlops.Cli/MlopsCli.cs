using System.CommandLine;
using MlopsNotebooks.Cli.Actions;
using MlopsNotebooks.Cli.Containerize;
using MlopsNotebooks.Cli.Data;
using MlopsNotebooks.Cli.Deploy;
using MlopsNotebooks.Cli.Drift;
using MlopsNotebooks.Cli.Experiments;
using MlopsNotebooks.Cli.Models;
using MlopsNotebooks.Cli.Monitor;
using MlopsNotebooks.Cli.Notebook;
using MlopsNotebooks.Cli.Proxy;
using MlopsNotebooks.Cli.Runs;
using MlopsNotebooks.Cli.Serve;
using MlopsNotebooks.Cli.Sync;
using MlopsNotebooks.Cli.Validate;
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
        var data = DataCommands.Create();
        data.Add(SchemaCommands.Create());
        root.Add(data);
        root.Add(RemoteCommands.Create());
        root.Add(ValidateCommands.Validate());
        root.Add(BaselineCommands.Create());
        root.Add(DriftCommands.Create());
        root.Add(ServeCommands.Create());
        root.Add(ContainerizeCommands.Create());
        root.Add(DeployCommands.Create());
        root.Add(ProxyCommands.Create());
        root.Add(MonitorCommands.Create());
        root.Add(SyncCommands.Create());
        root.Add(Sweep.SweepCommands.Create());
        root.Add(Kernel.KernelCommands.Create());
        root.Add(new Command("action", "The GitHub Actions' steps: configured by INPUT_* variables as the runner sets them.")
        {
            ValidateCommands.ActionValidate(),
            BaselineCommands.ActionBaseline(),
            ReportCommands.ActionReport(),
            ContainerizeCommands.ActionContainerize(),
            DeployCommands.ActionDeploy(),
            MonitorCommands.ActionMonitor(),
            Sweep.SweepAction.Create(),
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
        Description = "The tracking store (sqlite:///path.db, a file path, or postgresql://user@host/db for a team); default: MLOPS_TRACKING_URI, else .mlops/mlops.db at the git root.",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json") { Description = "Write JSON for machines instead of a table." };

    /// <summary>For the commands that write charts: the notebook runner's outputs and report.html.</summary>
    public static readonly Option<string?> PlotlyJs = new("--plotly-js")
    {
        Description = "Where charts get plotly.js: cdn (default), embed (a copy in the page, for offline use), a URL, or a file to embed; default: MLOPS_PLOTLY_JS, else cdn.",
    };

    /// <summary>
    /// Sets the charts' plotly.js from --plotly-js (null where the command has no such option) or MLOPS_PLOTLY_JS, so a
    /// bad value stops the command before it starts.
    /// </summary>
    public static void UsePlotlyJs(string? option) =>
        Display.PlotlyJs.Current = option is null ? Display.PlotlyJs.FromEnvironment() : Display.PlotlyJs.Parse(option, "--plotly-js");

    public static TrackingClient OpenClient(ParseResult parse) => new CliContext(parse).OpenClient();

    /// <summary>For commands that only read: creates nothing, writes nothing, and says so when there is no store.</summary>
    public static TrackingClient OpenReader(ParseResult parse) => new CliContext(parse).OpenReader();

    /// <summary>Writes the JSON view with --json, the text view otherwise.</summary>
    public static void Write(ParseResult parse, System.Text.Json.Nodes.JsonNode json, string text) => new CliContext(parse).Write(json, text);
}

/// <summary>What a handler gets besides its settings: the global options, the stores they name, and where to write.</summary>
internal sealed class CliContext(ParseResult parse)
{
    public TextWriter Output => parse.InvocationConfiguration.Output;

    public TextWriter Error => parse.InvocationConfiguration.Error;

    public TrackingClient OpenClient() => new(parse.GetValue(GlobalOptions.TrackingUri));

    /// <summary>For commands that only read: creates nothing, writes nothing, and says so when there is no store.</summary>
    public TrackingClient OpenReader() => new(Storage.TrackingStores.OpenForReading(parse.GetValue(GlobalOptions.TrackingUri)));

    /// <summary>Whether --json asked for JSON (progress then goes to standard error, so standard output stays JSON).</summary>
    public bool Json => parse.GetValue(GlobalOptions.Json);

    /// <summary>Writes the JSON view with --json, the text view otherwise.</summary>
    public void Write(System.Text.Json.Nodes.JsonNode json, string text) =>
        Output.Write(Json ? Views.RunJson.Write(json) + "\n" : text);
}

/// <summary>
/// A command's shape: its options parse into a settings record (typed, nothing else), then one handler calls one core
/// service and renders a view. Parsing and handling stay apart, so a handler never reads the command line.
/// </summary>
internal static class CommandHandlers
{
    public static Command Handles<TSettings>(this Command command, Func<ParseResult, TSettings> settings, Func<TSettings, CliContext, int> handler)
    {
        command.SetAction(parse => handler(settings(parse), new CliContext(parse)));
        return command;
    }

    public static Command Handles<TSettings>(this Command command, Func<ParseResult, TSettings> settings,
        Func<TSettings, CliContext, CancellationToken, Task<int>> handler)
    {
        command.SetAction((parse, cancellationToken) => handler(settings(parse), new CliContext(parse), cancellationToken));
        return command;
    }
}
