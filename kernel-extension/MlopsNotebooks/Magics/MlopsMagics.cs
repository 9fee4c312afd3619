using System.Globalization;
using System.Text;
using Microsoft.ML;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;
using MlopsNotebooks.Display;
using MlopsNotebooks.Sweeps;

namespace MlopsNotebooks.Magics;

/// <summary>
/// The <c>#!mlops</c> subcommands, one definition for both hosts. Each parses, calls one service of the core and returns
/// what the host shows. The grammar stays within what the kernel's directive parser binds, so a line means the same in
/// both: at most one positional (implicit) parameter per subcommand, which may also be named; the rest
/// <c>--name value</c> options and flags, each given once (lists are one comma-separated value).
/// </summary>
public static class MlopsMagics
{
    public static IReadOnlyList<MagicCommand> All { get; } =
    [
        new("help", "List the #!mlops subcommands and their options.", [], _ => Help()),
        new("experiment", "Set the experiment that new runs go to (created if needed).",
            [new("name", "The experiment name.", Required: true, Positional: true)],
            m => Mlops.SetExperiment(m.Required("name"))),
        new("start-run", "Start a run and make it the active one (nested under the active run with --nested).",
            [new("name", "The run name."), new("nested", "Start it as a child of the active run.", Flag: true),
             new("params", "Parameters to log, comma-separated: trees=100,leaves=16.")],
            m =>
            {
                var run = Mlops.StartRun(m.Get("name"), nested: m.Has("nested"));
                LogParams(m);
                return $"Started run {run.RunId} ({run.Name ?? "unnamed"}) in experiment {Mlops.ExperimentName}.";
            }),
        new("end-run", "End the active run.",
            [new("status", "finished (default), failed or killed.")],
            m =>
            {
                var run = Mlops.ActiveRun ?? throw new ConflictException("There is no active run to end.", "Start one with #!mlops start-run.");
                var status = m.Get("status") switch
                {
                    null or "finished" => RunStatus.Finished,
                    "failed" => RunStatus.Failed,
                    "killed" => RunStatus.Killed,
                    var other => throw new MlopsException($"'{other}' is not an end status.", "Use finished, failed or killed."),
                };
                Mlops.EndRun(status);
                return $"Run {run.RunId} ended: {status.ToName()}.";
            }),
        new("track", "Track exactly this cell as a run: started before its code, ended after (FAILED if the cell fails).",
            [new("name", "The run name."), new("params", "Parameters to log, comma-separated: trees=100,leaves=16.")],
            m =>
            {
                var run = Mlops.StartRun(m.Get("name"), nested: Mlops.ActiveRun is not null);
                LogParams(m);
                m.Host.AfterCell(succeeded => run.End(succeeded ? RunStatus.Finished : RunStatus.Failed));
                return null;
            }),
        new("log-param", "Log a parameter of the active run (immutable once logged).",
            [new("param", "key=value, e.g. trees=100.", Required: true, Positional: true)],
            m =>
            {
                var (key, value) = Pair(m, "param");
                Mlops.LogParam(key, value);
                return null;
            }),
        new("log-metric", "Log a metric point of the active run.",
            [new("metric", "key=value, e.g. auc=0.91.", Required: true, Positional: true), new("step", "The step (default 0).")],
            m =>
            {
                var (key, text) = Pair(m, "metric");
                var value = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                    ? v
                    : throw new MlopsException($"#!mlops log-metric: '{text}' is not a number.", $"Usage: {m.Command.Usage()}");
                Mlops.LogMetric(key, value, m.Get("step") is { } s ? Step(m, s) : 0);
                return null;
            }),
        new("tag", "Set a tag of the active run.",
            [new("tag", "key=value, e.g. team=churn.", Required: true, Positional: true)],
            m =>
            {
                var (key, value) = Pair(m, "tag");
                Mlops.SetTag(key, value);
                return null;
            }),
        new("data-add", "Version a data file or folder (writes <path>.mlops to commit); recorded as an input of the active run.",
            [new("path", "The file or folder.", Required: true, Positional: true), new("link", "copy (default), reflink, hardlink or symlink.")],
            m => Mlops.Data.Add(m.Required("path"), m.Get("link") is { } l
                ? Enum.TryParse<LinkType>(l, true, out var link) ? link : throw new MlopsException($"'{l}' is not a link type.", "Use copy, reflink, hardlink or symlink.")
                : null)),
        new("data-use", "Record the current version of a data file or folder as an input of the active run.",
            [new("path", "The file or folder.", Required: true, Positional: true)],
            m => Mlops.Data.Use(m.Required("path"))),
        new("register-model", "Register an ML.NET model held in a notebook variable (logged to the active run) as the next version of a name.",
            [new("variable", "The variable holding the ITransformer.", Required: true, Positional: true),
             new("name", "The model name.", Required: true), new("alias", "Point this alias at the new version, e.g. candidate."),
             new("schema", "A variable holding the training IDataView (also profiled as the version's reference for drift) or a DataViewSchema; default: the notebook's data view the model accepts.")],
            RegisterModel),
        new("runs", "List runs of the current experiment with a filter and order.",
            [new("filter", "e.g. \"metrics.auc > 0.8 and params.trainer = 'FastTree'\""), new("order-by", "e.g. \"metrics.auc DESC\""),
             new("max", "At most this many runs (default 100)."), new("experiments", "Experiments to search, comma-separated; default: the current one.")],
            m =>
            {
                var experiments = List(m, "experiments");
                return Mlops.Client.SearchRuns(experiments.Count > 0 ? experiments : [Mlops.ExperimentName], m.Get("filter"), m.Get("order-by"),
                    m.Get("max") is { } max ? (int)Step(m, max) : 100);
            }),
        new("chart", "Chart a metric over runs of the current experiment: history (by step), parallel (params against it) or bars.",
            [new("metric", "The metric, e.g. auc.", Required: true, Positional: true), new("kind", "history (default), parallel or bars."),
             new("runs", "Run ids to chart, comma-separated; default: the 10 newest runs of the experiment.")],
            m =>
            {
                var metric = m.Required("metric");
                var ids = List(m, "runs");
                var runs = ids.Count > 0 ? ids.Select(Mlops.Client.GetRun).ToList() : [.. Mlops.SearchRuns(maxResults: 10)];
                if (runs.Count == 0)
                {
                    throw new NotFoundException($"There are no runs in experiment {Mlops.ExperimentName} to chart.", "Run some first, or name them with --runs.");
                }
                return m.Get("kind") switch
                {
                    null or "history" => Mlops.Client.MetricHistoryChart(metric, runs.Select(r => r.RunId).ToList()),
                    "parallel" => RunCharts.ParallelCoordinates(runs, metric),
                    "bars" => RunCharts.Comparison(RunComparison.Of(runs), [metric]),
                    var other => throw new MlopsException($"'{other}' is not a chart kind.", "Use history, parallel or bars."),
                };
            }),
        new("drift", "Compare data with a model version's reference: per column the test Evidently would pick, its figure, threshold and verdict, with charts.",
            [new("data", "A variable holding an IDataView (e.g. a DataFrame), or a CSV file.", Required: true, Positional: true),
             new("reference", "name@alias, name/3, an export bundle folder, a reference CSV, or a variable holding the reference IDataView.", Required: true),
             new("mode", "exact (default) or profile."), new("test", "auto (default), ks, wasserstein, chisquare, z, jensenshannon or psi."),
             new("threshold", "The test's threshold (with --test)."), new("drift-share", "The data set drifts when this share of columns do (default 0.5)."),
             new("columns", "Only these columns, comma-separated.")],
            Drift),
        new("compare", "Compare runs: params that differ, metrics side by side.",
            [new("runs", "Two or more run ids (or unique prefixes), comma-separated.", Required: true, Positional: true)],
            m => Mlops.Client.CompareRuns(List(m, "runs"))),
        new("sweep", "Search trainers and hyperparameters: a live table of trials while it runs, then the trials charted.",
            [new("space", "A variable holding a SearchSpace, or a sweep YAML file.", Required: true),
             new("evaluate", "A variable holding a Func<Trial, double> or an ISweepEvaluation (e.g. a CrossValidation).", Required: true),
             new("trials", "The most trials (across all workers)."), new("budget", "How long it starts new trials: 90s, 10m, 2h."),
             new("name", "The sweep's name; a stopped sweep of that name resumes."), new("tuner", "tpe or random."),
             new("pruner", "median or none."), new("metric", "The metric the evaluation returns, e.g. auc.")],
            Sweep),
    ];

    /// <summary>
    /// How the host shows a value that it can then replace in place (the kernel's display handle), or null where
    /// outputs are written once (the runner, which shows the sweep's final table).
    /// </summary>
    public static Func<object, Action<object>?>? LiveDisplay { get; set; }

    private static string Help()
    {
        var text = new StringBuilder("#!mlops subcommands:\n");
        foreach (var c in All)
        {
            text.Append("  ").Append(c.Usage()).Append('\n').Append("      ").Append(c.Description).Append('\n');
        }
        return text.ToString();
    }

    private static IReadOnlyList<string> List(MagicInvocation m, string name) =>
        m.Get(name) is { } text ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [];

    private static void LogParams(MagicInvocation m)
    {
        var parameters = KeyValueText.ParseAll(List(m, "params"), "--params:",
            "Write --params trees=100,leaves=16 (a value with a comma goes in its own #!mlops log-param).");
        if (parameters.Count > 0)
        {
            Mlops.LogParams(parameters.ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.Ordinal));
        }
    }

    // key=value in one argument: the kernel's directive grammar allows one implicit (positional) parameter.
    private static (string Key, string Value) Pair(MagicInvocation m, string name) =>
        KeyValueText.Parse(m.Required(name), $"#!mlops {m.Command.Name}:", $"Usage: {m.Command.Usage()}");

    private static long Step(MagicInvocation m, string text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new MlopsException($"#!mlops {m.Command.Name}: '{text}' is not a whole number.", $"Usage: {m.Command.Usage()}");

    private static object RegisterModel(MagicInvocation m)
    {
        var run = Mlops.ActiveRun ?? throw new ConflictException("Registering a model needs an active run to log it to.",
            "Start one with #!mlops start-run (or use #!mlops track on the training cell).");
        var name = m.Required("variable");
        if (m.Host.GetVariable(name) is not ITransformer model)
        {
            throw new MlopsException($"The variable '{name}' does not hold an ML.NET model (an ITransformer).",
                "Name the variable that holds the fitted model, e.g. var model = pipeline.Fit(trainData);");
        }
        DataViewSchema schema;
        IDataView? reference = null;
        if (m.Get("schema") is { } schemaVariable)
        {
            schema = m.Host.GetVariable(schemaVariable) switch
            {
                DataViewSchema s => s,
                IDataView view => (reference = view).Schema,
                _ => throw new MlopsException($"The variable '{schemaVariable}' holds neither an IDataView nor a DataViewSchema.",
                    "Name the training data view, e.g. --schema trainData."),
            };
        }
        else
        {
            schema = FindInputSchema(m.Host, model) ?? throw new MlopsException(
                $"No data view in the notebook fits the model in '{name}', so its input schema is unknown.",
                "Name it: --schema <variable holding the training IDataView>.");
        }
        return Mlops.Models.Register(run.RunId, model, schema, m.Required("name"), alias: m.Get("alias"), referenceData: reference);
    }

    private static object Drift(MagicInvocation m)
    {
        var options = new Monitoring.DriftOptions
        {
            Mode = m.Get("mode") switch
            {
                null or "exact" => Monitoring.DriftMode.Exact,
                "profile" => Monitoring.DriftMode.Profile,
                var other => throw new MlopsException($"'{other}' is not a drift mode.", "Use exact or profile."),
            },
            Test = m.Get("test") ?? Monitoring.DriftTests.Auto,
            Threshold = m.Get("threshold") is { } t ? Number(m, t) : null,
            DriftShare = m.Get("drift-share") is { } share ? Number(m, share) : 0.5,
            Columns = m.Has("columns") ? List(m, "columns") : null,
        };
        var data = m.Required("data");
        var referenceName = m.Required("reference");
        var referenceView = Variable(m.Host, referenceName) as IDataView;
        return Variable(m.Host, data) switch
        {
            IDataView view when referenceView is not null => Mlops.Drift(view, referenceView, options),
            IDataView view => Mlops.Drift(view, referenceName, options),
            null when File.Exists(data) && referenceView is null => Mlops.Drift(data, referenceName, options),
            null when File.Exists(data) => throw new MlopsException("A CSV is compared with a model version, a bundle or a reference CSV.",
                $"Load {data} as a data view to compare it with the data view '{referenceName}'."),
            null => throw new NotFoundException($"'{data}' is neither a notebook variable nor a file.", "Name a variable holding an IDataView (e.g. a DataFrame) or a CSV file."),
            var other => throw new MlopsException($"The variable '{data}' holds a {other.GetType().Name}, not data.", "Name a variable holding an IDataView, e.g. a DataFrame."),
        };
    }

    private static object Sweep(MagicInvocation m)
    {
        // The space, the evaluation and the options are all checked before the sweep's run exists.
        var spaceName = m.Required("space");
        var metric = m.Get("metric");
        var file = Variable(m.Host, spaceName) switch
        {
            SearchSpace space => new SweepFile(spaceName, space, metric ?? throw new MlopsException(
                    "#!mlops sweep: a SearchSpace variable carries no metric.", "Name the metric the evaluation returns: --metric auc."),
                TrainerCatalog.DirectionOf(metric, space.Task) ?? Direction.Maximize),
            null when File.Exists(spaceName) => SweepFile.Read(spaceName),
            null => throw new NotFoundException($"'{spaceName}' is neither a notebook variable nor a file.", "Name a variable holding a SearchSpace, or a sweep YAML file."),
            var other => throw new MlopsException($"The variable '{spaceName}' holds a {other.GetType().Name}, not a SearchSpace.", "Name a variable holding a SearchSpace, or a sweep YAML file."),
        };
        var evaluationName = m.Required("evaluate");
        var evaluation = m.Host.GetVariable(evaluationName) switch
        {
            ISweepEvaluation e => e,
            Func<Trial, double> f => new FunctionEvaluation(f),
            var other => throw new MlopsException($"The variable '{evaluationName}' holds {(other is null ? "null" : "a " + other.GetType().Name)}, not an evaluation.",
                "Name a Func<Trial, double> (train with the trial's values, return the metric) or an ISweepEvaluation such as a CrossValidation."),
        };
        var options = file.ToOptions() with
        {
            Name = m.Get("name") ?? file.Name,
            Metric = metric ?? file.Metric,
            Direction = metric is null ? file.Direction : TrainerCatalog.DirectionOf(metric, file.Space.Task) ?? file.Direction,
            Trials = m.Get("trials") is { } trials ? (int)Positive(m, trials) : file.Trials,
            Budget = m.Get("budget") is { } budget ? Budget(m, budget) : file.Budget,
            Tuner = Tuners.Named(m.Get("tuner") ?? file.Tuner),
            Pruner = Pruners.Named(m.Get("pruner") ?? file.Pruner),
            Progress = new LiveTable(LiveDisplay),
        };
        return Mlops.Sweep(file.Space, evaluation, options);
    }

    // 90s, 10m, 2h: a whole number and a unit, as the sweep file's budget is written.
    private static TimeSpan Budget(MagicInvocation m, string text) =>
        text.Length > 1 && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 30 * 24 * 3600
            && text[^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 0 } is > 0 and var unit && n * unit <= 30 * 24 * 3600
            ? TimeSpan.FromSeconds(n * unit)
            : throw new MlopsException($"#!mlops sweep: '{text}' is not a duration.", "Write a whole number and a unit: 90s, 10m or 2h.");

    private static long Positive(MagicInvocation m, string text) =>
        Step(m, text) is > 0 and <= int.MaxValue and var value ? value : throw new MlopsException($"#!mlops {m.Command.Name}: '{text}' is not a positive number.", $"Usage: {m.Command.Usage()}");

    /// <summary>The sweep's table shown once and replaced in place after each trial, where the host can.</summary>
    private sealed class LiveTable(Func<object, Action<object>?>? display) : IProgress<SweepStatus>
    {
        private Action<object>? _update;

        public void Report(SweepStatus value)
        {
            if (_update is { } update)
            {
                update(value);
            }
            else
            {
                _update = display?.Invoke(value);
            }
        }
    }

    // A variable's value, or null when the notebook has none by that name (the name is then a path or a model).
    private static object? Variable(IMagicHost host, string name) =>
        host.Variables().FirstOrDefault(v => v.Name == name) is { Name: not null } found ? found.Value : null;

    private static double Number(MagicInvocation m, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw new MlopsException($"#!mlops {m.Command.Name}: '{text}' is not a number.", $"Usage: {m.Command.Usage()}");

    // The first data view among the notebook's variables whose schema the model accepts.
    private static DataViewSchema? FindInputSchema(IMagicHost host, ITransformer model)
    {
        foreach (var (_, value) in host.Variables())
        {
            var schema = value switch
            {
                IDataView view => view.Schema,
                DataOperationsCatalog.TrainTestData split => split.TrainSet.Schema,
                _ => null,
            };
            if (schema is null)
            {
                continue;
            }
            try
            {
                model.GetOutputSchema(schema);
                return schema;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
            {
            }
        }
        return null;
    }
}
