using System.CommandLine;
using MlopsNotebooks.Search;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli.Runs;

/// <summary><c>mlops runs list|show|search|compare|history|delete|restore|gc</c>.</summary>
internal static class RunsCommands
{
    private static readonly Option<string[]> Experiment = new("--experiment", "-e")
    {
        Description = "Experiment name (repeat for several); default: every experiment.",
        AllowMultipleArgumentsPerToken = false,
    };

    private static readonly Option<int> MaxResults = new("--max-results", "-n")
    {
        Description = "At most this many runs.",
        DefaultValueFactory = _ => RunQuery.DefaultMaxResults,
    };

    private static readonly Option<bool> All = new("--all") { Description = "Include deleted runs." };
    private static readonly Option<bool> Deleted = new("--deleted") { Description = "Only deleted runs." };

    private static Argument<string> RunId() => new("run-id") { Description = "The run id, or enough of its start to be unique." };

    public static Command Create()
    {
        var runs = new Command("runs", "Runs: one execution of training code each, with params, metrics, tags and artifacts.");
        runs.Add(SearchCommand("list", "List runs, newest first.", withFilter: false));
        runs.Add(SearchCommand("search", "Search runs with a filter, e.g. \"metrics.auc > 0.8 and params.trainer = 'FastTree'\".", withFilter: true));
        runs.Add(ShowCommand());
        runs.Add(CompareCommand());
        runs.Add(HistoryCommand());
        runs.Add(StageCommand("delete", "Hide a run from listings (restore brings it back).", LifecycleStage.Deleted));
        runs.Add(StageCommand("restore", "Bring back a deleted run.", LifecycleStage.Active));
        runs.Add(GcCommand());
        return runs;
    }

    private static Command SearchCommand(string name, string description, bool withFilter)
    {
        var filter = new Option<string?>("--filter", "-f") { Description = "Filter: metrics.auc > 0.8 and params.trainer = 'FastTree' and tags.team = 'x'" };
        var orderBy = new Option<string?>("--order-by", "-o") { Description = "Order, e.g. \"metrics.auc DESC\"; default: newest first." };
        var command = new Command(name, description) { Experiment, MaxResults, All, Deleted, GlobalOptions.Json, orderBy };
        if (withFilter)
        {
            command.Add(filter);
        }
        return command.Handles(parse => new SearchRunsSettings(
            parse.GetValue(Experiment) ?? [],
            withFilter ? parse.GetValue(filter) : null,
            parse.GetValue(orderBy),
            parse.GetValue(MaxResults),
            parse.GetValue(Deleted) ? ViewType.DeletedOnly : parse.GetValue(All) ? ViewType.All : ViewType.ActiveOnly), Search);
    }

    public static int Search(SearchRunsSettings settings, CliContext cli)
    {
        using var client = cli.OpenReader();
        var runs = client.SearchRuns(settings.Experiments, settings.Filter, settings.OrderBy, settings.MaxResults, settings.View);
        cli.Write(RunJson.Runs(runs), RunText.RunList(runs));
        return MlopsCli.Ok;
    }

    private static Command ShowCommand()
    {
        var id = RunId();
        return new Command("show", "Show a run: status, source, params, latest metrics, tags and artifacts.") { id, GlobalOptions.Json }
            .Handles(parse => new ShowRunSettings(parse.GetValue(id)!), Show);
    }

    public static int Show(ShowRunSettings settings, CliContext cli)
    {
        using var client = cli.OpenReader();
        var run = client.GetRun(settings.RunId);
        var experiment = client.ListExperiments(ViewType.All).FirstOrDefault(e => e.ExperimentId == run.ExperimentId);
        cli.Write(RunJson.Run(run), RunText.RunDetail(run, experiment));
        return MlopsCli.Ok;
    }

    private static Command CompareCommand()
    {
        var ids = new Argument<string[]>("run-ids") { Description = "Two or more run ids (or unique prefixes).", Arity = new ArgumentArity(2, 100) };
        return new Command("compare", "Compare runs: the params that differ and every metric side by side.") { ids, GlobalOptions.Json }
            .Handles(parse => new CompareRunsSettings(parse.GetValue(ids)!), Compare);
    }

    public static int Compare(CompareRunsSettings settings, CliContext cli)
    {
        using var client = cli.OpenReader();
        var comparison = client.CompareRuns(settings.RunIds);
        cli.Write(RunJson.Comparison(comparison), RunText.Comparison(comparison));
        return MlopsCli.Ok;
    }

    private static Command HistoryCommand()
    {
        var id = RunId();
        var key = new Argument<string>("metric") { Description = "The metric key, e.g. auc." };
        return new Command("history", "Every logged point of one metric of a run.") { id, key, GlobalOptions.Json }
            .Handles(parse => new MetricHistorySettings(parse.GetValue(id)!, parse.GetValue(key)!), History);
    }

    public static int History(MetricHistorySettings settings, CliContext cli)
    {
        using var client = cli.OpenReader();
        var run = client.GetRun(settings.RunId);
        if (!run.Metrics.ContainsKey(settings.Metric))
        {
            throw new NotFoundException($"Run {run.RunId} has no metric '{settings.Metric}'.",
                run.Metrics.Count == 0 ? "It logged no metrics." : $"Its metrics: {string.Join(", ", run.Metrics.Keys)}.");
        }
        var points = client.GetMetricHistory(run.RunId, settings.Metric);
        cli.Write(RunJson.Points(points), RunText.MetricHistory(settings.Metric, points));
        return MlopsCli.Ok;
    }

    private static Command StageCommand(string name, string description, LifecycleStage stage)
    {
        var id = RunId();
        return new Command(name, description) { id }.Handles(parse => new RunStageSettings(parse.GetValue(id)!, stage), SetStage);
    }

    public static int SetStage(RunStageSettings settings, CliContext cli)
    {
        using var client = cli.OpenClient();
        var runId = client.ResolveRunId(settings.RunId);
        if (settings.Stage == LifecycleStage.Deleted)
        {
            client.DeleteRun(runId);
        }
        else
        {
            client.RestoreRun(runId);
        }
        cli.Output.WriteLine($"Run {runId} {(settings.Stage == LifecycleStage.Deleted ? "deleted" : "restored")}.");
        return MlopsCli.Ok;
    }

    private static Command GcCommand()
    {
        var olderThan = Arguments.DurationOption("--older-than", "Purge runs deleted longer ago than this (e.g. 30d, 12h, 0 for every deleted run).");
        olderThan.Required = true;
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be purged; purge nothing." };
        var command = new Command("gc", "Purge deleted runs for good: their params, metrics, tags, inputs and artifact records (then `mlops data gc` frees the objects).")
        {
            olderThan, Experiment, dryRun, GlobalOptions.Json,
        };
        return command.Handles(parse => new RunsGcSettings(parse.GetValue(olderThan), parse.GetValue(Experiment) ?? [], parse.GetValue(dryRun)), Gc);
    }

    public static int Gc(RunsGcSettings settings, CliContext cli)
    {
        using var client = settings.DryRun ? cli.OpenReader() : cli.OpenClient();
        var experimentIds = settings.Experiments.Count == 0 ? null : settings.Experiments.Select(n => client.GetExperimentByName(n).ExperimentId).ToList();
        var purge = client.Store.PurgeDeletedRuns(DateTimeOffset.UtcNow - settings.OlderThan, experimentIds, settings.DryRun);
        cli.Write(RunJson.Purge(purge), RunText.Purge(purge, settings.OlderThan));
        return MlopsCli.Ok;
    }
}
