using System.Globalization;
using System.Text.RegularExpressions;

namespace MlopsNotebooks.Sweeps;

/// <summary>
/// A sweep written for CI: the space and the sweep's settings, e.g.
/// <code>
/// task: binary
/// metric: auc
/// trials: 40
/// budget: 10m
/// tuner: tpe
/// trainers:
///   FastTree: { numberOfLeaves: { int: [4, 128], log: true }, learningRate: { float: [0.01, 0.5], log: true } }
///   SdcaLogisticRegression: {}          # the catalog's default ranges
/// parameters:                           # not tied to a trainer
///   rows: { int: [1000, 6000] }
/// </code>
/// Everything is checked when the file is read, so a bad file fails before any trial runs, naming its line and key.
/// </summary>
public sealed partial record SweepFile(string Source, SearchSpace Space, string Metric, Direction Direction)
{
    /// <summary>The sweep's name (workers that give the same one join it); null leaves it to the host.</summary>
    public string? Name { get; init; }

    public MlTask? Task { get; init; }

    public int? Trials { get; init; }

    public TimeSpan? Budget { get; init; }

    /// <summary>One of <see cref="Tuners.Names"/>.</summary>
    public string Tuner { get; init; } = Tuners.Names[0];

    /// <summary>One of <see cref="Pruners.Names"/>.</summary>
    public string Pruner { get; init; } = Pruners.Names[0];

    public int Seed { get; init; }

    private static readonly string[] Keys =
        ["name", "task", "metric", "direction", "trials", "budget", "tuner", "pruner", "seed", "trainers", "parameters"];

    /// <summary>The options of a sweep run from this file; the host adds what the file does not say (the experiment, progress).</summary>
    public SweepOptions ToOptions() => new()
    {
        Name = Name,
        Metric = Metric,
        Direction = Direction,
        Trials = Trials,
        Budget = Budget,
        Tuner = Tuners.Named(Tuner),
        Pruner = Pruners.Named(Pruner),
        Seed = Seed,
    };

    public static SweepFile Read(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new NotFoundException($"There is no sweep file at {path}.", "Give the path of a YAML file with the sweep's metric and space.");
        }
        if (file.Length > SweepYaml.MaxCharacters * 4L)
        {
            throw new MlopsException($"{path}: the file is {file.Length} bytes, more than a sweep file may be.", "Check that this is the file you meant.");
        }
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MlopsException($"The sweep file {path} cannot be read: {e.Message}", "Check its permissions.", e);
        }
        return Parse(text, path);
    }

    public static SweepFile Parse(string yaml, string source)
    {
        var reader = new SweepYaml(source);
        var root = reader.Load(yaml);
        reader.CheckKeys(root, "", Keys);
        var task = reader.Task(root);
        var metricNode = root.Get("metric")
            ?? throw reader.Error(root, "", "names no metric.", "Add metric: auc (or another metric the evaluation returns).");
        var metric = reader.Text(metricNode, "metric");
        var direction = root.Get("direction") is { } directionNode
            ? reader.Text(directionNode, "direction") switch
            {
                "maximize" => Direction.Maximize,
                "minimize" => Direction.Minimize,
                var other => throw reader.Error(directionNode, "direction", $"is '{other}'.", "Write maximize or minimize."),
            }
            : TrainerCatalog.DirectionOf(metric, task) ?? throw reader.Error(metricNode, "metric",
                $"is '{metric}', which is not a metric known{(task is { } t ? $" for {TrainerCatalog.Describe(t)}" : "")}, so the way it is better is not known.",
                $"Add direction: maximize or direction: minimize{(task is { } known ? $", or use one of: {string.Join(", ", TrainerCatalog.Metrics(known).Select(m => m.Name))}" : "")}.");
        return new SweepFile(source, SearchSpace.Read(reader, root, task), metric, direction)
        {
            Name = root.Get("name") is { } name ? reader.Text(name, "name") : null,
            Task = task,
            Trials = root.Get("trials") is { } trials ? (int)reader.Whole(trials, "trials", 1, 100_000) : null,
            Budget = root.Get("budget") is { } budget ? Duration(reader, budget) : null,
            Tuner = root.Get("tuner") is { } tuner ? Named(reader, tuner, "tuner", Tuners.Names) : Tuners.Names[0],
            Pruner = root.Get("pruner") is { } pruner ? Named(reader, pruner, "pruner", Pruners.Names) : Pruners.Names[0],
            Seed = root.Get("seed") is { } seed ? (int)reader.Whole(seed, "seed", int.MinValue, int.MaxValue) : 0,
        };
    }

    private static string Named(SweepYaml reader, SweepYaml.Node node, string key, IReadOnlyList<string> known)
    {
        var text = reader.Text(node, key);
        return known.Contains(text)
            ? text
            : throw reader.Error(node, key, $"is '{text}', which is not a {key}.", $"Write one of: {string.Join(", ", known)}.");
    }

    /// <summary>A budget such as 90s, 10m, 1.5h or 1h30m: a unit is required, since a bare number could be seconds or minutes.</summary>
    private static TimeSpan Duration(SweepYaml reader, SweepYaml.Node node)
    {
        var text = reader.Text(node, "budget");
        var match = DurationPattern().Match(text);
        var total = match.Success
            ? match.Groups["amount"].Captures.Zip(match.Groups["unit"].Captures).Sum(p =>
                double.Parse(p.First.Value, CultureInfo.InvariantCulture) * p.Second.Value switch { "h" => 3600, "m" => 60, _ => 1 })
            : -1;
        return total > 0 && total <= TimeSpan.FromDays(30).TotalSeconds
            ? TimeSpan.FromSeconds(total)
            : throw reader.Error(node, "budget", $"is '{text}', not a duration from 1s to 30 days.", "Write a number and a unit: 120s, 10m, 1.5h or 1h30m.");
    }

    [GeneratedRegex(@"^(?:(?<amount>\d{1,9}(?:\.\d{1,6})?)(?<unit>[hms]))+$")]
    private static partial Regex DurationPattern();
}
