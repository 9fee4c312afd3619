using System.CommandLine;
using System.Globalization;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Validation;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli.Validate;

/// <summary>
/// <c>mlops baseline store:&lt;branch&gt; --out FILE</c> and <c>mlops action baseline</c>: the base branch's results in a
/// shared tracking store, written as the metrics file <c>--baseline FILE</c> reads. A pull request's workflow runs it in
/// a job that has the store's secret and runs none of the pull request's code; the validate job, which runs that code
/// without secrets, compares against the file.
/// </summary>
internal static class BaselineCommands
{
    public static Command Create()
    {
        var from = new Argument<string>("from") { Description = "store:<branch>: the finished runs of that branch's newest commit in the tracking store." };
        var output = new Option<string>("--out", "-o") { Description = "The metrics file to write (what --baseline reads).", Required = true };
        var gates = new Option<string?>("--gates") { Description = "The gates file, whose first gated metric picks the best run's params; default mlops-gates.yaml if there is one." };
        var command = new Command("baseline", "Write the base branch's metrics, params and data versions from the tracking store to a file, for validate --baseline.")
        {
            from, output, gates, GlobalOptions.Json,
        };
        command.SetAction(parse =>
        {
            var context = new CliContext(parse);
            using var client = context.OpenReader();
            var baseline = Take(client, parse.GetValue(from)!, parse.GetValue(gates), Directory.GetCurrentDirectory());
            Write(Path.GetFullPath(parse.GetValue(output)!), baseline);
            context.Write(baseline.ToJson(), Describe(baseline) + "\n");
            return MlopsCli.Ok;
        });
        return command;
    }

    /// <summary>The action: with no team store (no secret, as on a fork's pull request) it writes nothing and says so.</summary>
    public static Command ActionBaseline()
    {
        var command = new Command("baseline", "The baseline action: write the base branch's results from the team tracking store for the validate job.");
        command.SetAction(_ =>
        {
            var actions = ActionRunner.FromProcess();
            var root = actions.Variable("GITHUB_WORKSPACE") ?? TrackingStores.FindWorkTreeRoot(Directory.GetCurrentDirectory());
            var path = Path.GetFullPath(actions.Input("metrics-path") ?? Path.Combine(".mlops", "baseline", "baseline.json"), root);
            if (actions.Variable(TrackingStores.UriVariable) is null)
            {
                actions.Notice($"No team tracking store ({TrackingStores.UriVariable} is not set, as on a pull request from a fork, which gets no secrets): "
                    + "the validate job uses the gates file's baseline.", title: "No team store");
                actions.SetOutput("found", "false");
                return MlopsCli.Ok;
            }
            var from = actions.Input("baseline") ?? (actions.Variable("GITHUB_BASE_REF") is { } baseRef ? Baseline.StorePrefix + baseRef
                : throw new MlopsException("Input 'baseline' is missing, and this is not a pull request (GITHUB_BASE_REF is not set).",
                    "Pass baseline: store:main, naming the branch whose runs are the baseline."));
            using var client = new Tracking.TrackingClient(TrackingStores.OpenForReading());
            var baseline = Take(client, from, actions.Input("gates"), root, missingIsError: false);
            if (baseline is null)
            {
                actions.Warning($"The team tracking store has no finished runs of {from[Baseline.StorePrefix.Length..]}: the validate job uses the gates file's baseline.",
                    title: "No baseline in the store");
                actions.SetOutput("found", "false");
                return MlopsCli.Ok;
            }
            Write(path, baseline);
            actions.Log(Describe(baseline));
            actions.SetOutput("found", "true");
            actions.SetOutput("metrics-path", path);
            actions.SetOutput("source", baseline.Source);
            return MlopsCli.Ok;
        });
        return command;
    }

    private static Baseline Take(Tracking.TrackingClient client, string from, string? gatesPath, string root) =>
        Take(client, from, gatesPath, root, missingIsError: true)!;

    private static Baseline? Take(Tracking.TrackingClient client, string from, string? gatesPath, string root, bool missingIsError)
    {
        if (!from.StartsWith(Baseline.StorePrefix, StringComparison.Ordinal) || from.Length == Baseline.StorePrefix.Length)
        {
            throw new MlopsException($"'{from}' does not name a branch in the tracking store.", "Write store:<branch>, e.g. store:main.");
        }
        var branch = from[Baseline.StorePrefix.Length..];
        gatesPath ??= File.Exists(Path.Combine(root, "mlops-gates.yaml")) ? "mlops-gates.yaml" : null;
        var gates = gatesPath is null ? null : ModelGates.Load(Path.GetFullPath(gatesPath, root), gatesPath);
        var baseline = Baseline.FromStore(client, branch, gates, new HashSet<string>());
        if (baseline is null && missingIsError)
        {
            throw new NotFoundException($"The tracking store at {client.Store.Location} has no finished runs of branch {branch}.",
                "Runs are tagged with the branch they ran on: validate the branch's notebooks with this store (e.g. on push to it).");
        }
        return baseline;
    }

    private static void Write(string path, Baseline baseline)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, RunJson.Write(baseline.ToJson()) + "\n");
    }

    private static string Describe(Baseline baseline) =>
        $"Baseline {baseline.Source}: {baseline.RunIds.Count.ToString(CultureInfo.InvariantCulture)} run(s) in {baseline.Store}; "
        + string.Join(", ", baseline.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key} = {m.Value.ToString("G6", CultureInfo.InvariantCulture)}"));
}
