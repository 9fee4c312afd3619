using System.CommandLine;
using System.Text.Json.Nodes;
using MlopsNotebooks.Search;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli;

/// <summary><c>mlops runs list|show|search|compare|history|delete|restore</c>.</summary>
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

    public static Command Create()
    {
        var runs = new Command("runs", "Runs: one execution of training code each, with params, metrics, tags and artifacts.");
        runs.Add(Search("list", "List runs, newest first.", withFilter: false));
        runs.Add(Search("search", "Search runs with a filter, e.g. \"metrics.auc > 0.8 and params.trainer = 'FastTree'\".", withFilter: true));
        runs.Add(Show());
        runs.Add(Compare());
        runs.Add(History());
        runs.Add(Stage("delete", "Hide a run from listings (restore brings it back).", LifecycleStage.Deleted));
        runs.Add(Stage("restore", "Bring back a deleted run.", LifecycleStage.Active));
        return runs;
    }

    private static Command Search(string name, string description, bool withFilter)
    {
        var filter = new Option<string?>("--filter", "-f") { Description = "Filter: metrics.auc > 0.8 and params.trainer = 'FastTree' and tags.team = 'x'" };
        var orderBy = new Option<string?>("--order-by", "-o") { Description = "Order, e.g. \"metrics.auc DESC\"; default: newest first." };
        var command = new Command(name, description) { Experiment, MaxResults, All, Deleted, GlobalOptions.Json, orderBy };
        if (withFilter)
        {
            command.Add(filter);
        }
        command.SetAction(parse =>
        {
            using var client = GlobalOptions.OpenReader(parse);
            var view = parse.GetValue(Deleted) ? ViewType.DeletedOnly : parse.GetValue(All) ? ViewType.All : ViewType.ActiveOnly;
            var runs = client.SearchRuns(parse.GetValue(Experiment), withFilter ? parse.GetValue(filter) : null,
                parse.GetValue(orderBy), parse.GetValue(MaxResults), view);
            GlobalOptions.Write(parse, new JsonArray(runs.Select(r => (JsonNode)RunJson.Run(r)).ToArray()), RunText.RunList(runs));
            return MlopsCli.Ok;
        });
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<string>("run-id") { Description = "The run id, or enough of its start to be unique." };
        var command = new Command("show", "Show a run: status, source, params, latest metrics, tags and artifacts.") { id, GlobalOptions.Json };
        command.SetAction(parse =>
        {
            using var client = GlobalOptions.OpenReader(parse);
            var run = client.GetRun(parse.GetValue(id)!);
            var experiment = client.ListExperiments(ViewType.All).FirstOrDefault(e => e.ExperimentId == run.ExperimentId);
            GlobalOptions.Write(parse, RunJson.Run(run), RunText.RunDetail(run, experiment));
            return MlopsCli.Ok;
        });
        return command;
    }

    private static Command Compare()
    {
        var ids = new Argument<string[]>("run-ids") { Description = "Two or more run ids (or unique prefixes).", Arity = new ArgumentArity(2, 100) };
        var command = new Command("compare", "Compare runs: the params that differ and every metric side by side.") { ids, GlobalOptions.Json };
        command.SetAction(parse =>
        {
            using var client = GlobalOptions.OpenReader(parse);
            var comparison = client.CompareRuns(parse.GetValue(ids)!);
            GlobalOptions.Write(parse, RunJson.Comparison(comparison), RunText.Comparison(comparison));
            return MlopsCli.Ok;
        });
        return command;
    }

    private static Command History()
    {
        var id = new Argument<string>("run-id") { Description = "The run id, or enough of its start to be unique." };
        var key = new Argument<string>("metric") { Description = "The metric key, e.g. auc." };
        var command = new Command("history", "Every logged point of one metric of a run.") { id, key, GlobalOptions.Json };
        command.SetAction(parse =>
        {
            using var client = GlobalOptions.OpenReader(parse);
            var metric = parse.GetValue(key)!;
            var run = client.GetRun(parse.GetValue(id)!);
            if (!run.Metrics.ContainsKey(metric))
            {
                throw new MlopsException($"Run {run.RunId} has no metric '{metric}'.",
                    run.Metrics.Count == 0 ? "It logged no metrics." : $"Its metrics: {string.Join(", ", run.Metrics.Keys)}.");
            }
            var points = client.GetMetricHistory(run.RunId, metric);
            GlobalOptions.Write(parse, new JsonArray(points.Select(p => (JsonNode)RunJson.Point(p)).ToArray()), RunText.MetricHistory(metric, points));
            return MlopsCli.Ok;
        });
        return command;
    }

    private static Command Stage(string name, string description, LifecycleStage stage)
    {
        var id = new Argument<string>("run-id") { Description = "The run id, or enough of its start to be unique." };
        var command = new Command(name, description) { id };
        command.SetAction(parse =>
        {
            using var client = GlobalOptions.OpenClient(parse);
            var runId = client.ResolveRunId(parse.GetValue(id)!);
            if (stage == LifecycleStage.Deleted)
            {
                client.DeleteRun(runId);
            }
            else
            {
                client.RestoreRun(runId);
            }
            parse.InvocationConfiguration.Output.WriteLine($"Run {runId} {(stage == LifecycleStage.Deleted ? "deleted" : "restored")}.");
            return MlopsCli.Ok;
        });
        return command;
    }
}
