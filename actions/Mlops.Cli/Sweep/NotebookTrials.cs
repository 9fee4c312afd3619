using System.Globalization;
using MlopsNotebooks.Runner;
using MlopsNotebooks.Sweeps;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Cli.Sweep;

/// <summary>
/// A sweep's evaluation in CI: each trial runs the notebook with the runner, its active values as the parameters cell's
/// (by short name), continuing the trial's run, and its value is the metric the notebook logged there. Trials run one at
/// a time in this process, since the runner changes the current directory while a notebook runs.
/// </summary>
internal sealed class NotebookTrials
{
    private readonly string _notebook;
    private readonly string _metric;
    private readonly string? _trackingUri;

    private NotebookTrials(string notebook, string metric, string? trackingUri) => (_notebook, _metric, _trackingUri) = (notebook, metric, trackingUri);

    /// <summary>
    /// Checks, before any run exists, that the notebook reads and that its parameters cell declares every hyperparameter
    /// of the space (by short name) with a type its values fit; names every one that does not.
    /// </summary>
    public static NotebookTrials For(string notebookPath, SearchSpace space, string metric, string? trackingUri)
    {
        var path = Path.GetFullPath(notebookPath);
        if (!File.Exists(path))
        {
            throw new NotFoundException($"There is no notebook at {notebookPath}.", "Check --notebook; it is relative to the current directory.");
        }
        var notebook = Notebooks.Notebook.Read(path);
        var cell = NotebookParameters.FindCell(notebook);
        var declared = cell < 0 ? [] : NotebookParameters.Declared(notebook.Cells[cell].Source).GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.Last().Type);
        var wanted = space.Parameters.GroupBy(p => p.ShortName).Select(g => g.First()).ToList();
        var missing = wanted.Where(p => !declared.ContainsKey(p.ShortName)).Select(p => p.ShortName).ToList();
        if (missing.Count > 0)
        {
            throw new MlopsException(
                cell < 0 ? $"{notebookPath} has no parameters cell, so the trials' values have nowhere to go: {string.Join(", ", missing)}."
                    : $"The parameters cell of {notebookPath} does not declare {string.Join(", ", missing)}, which the space gives each trial.",
                $"Declare each with a default in a C# cell tagged 'parameters', e.g. {Example(wanted.First(p => missing.Contains(p.ShortName)))}");
        }
        var mistyped = wanted.Where(p => !Fits(p, declared[p.ShortName])).ToList();
        if (mistyped.Count > 0)
        {
            throw new MlopsException(
                $"The parameters cell of {notebookPath} declares {string.Join(", ", mistyped.Select(p => $"{p.ShortName} as {declared[p.ShortName]}"))}, which cannot hold the space's values.",
                $"Declare integers as int, long or double, numbers as double, and choices as string: {Example(mistyped[0])}");
        }
        return new NotebookTrials(path, metric, trackingUri);
    }

    /// <summary>Runs the notebook as <paramref name="trial"/>; its value is the metric the notebook logged on the trial's run.</summary>
    public double Evaluate(Trial trial)
    {
        var parameters = trial.Values.ToDictionary(v => v.Key[(v.Key.LastIndexOf('.') + 1)..], v => Text(v.Value), StringComparer.Ordinal);
        var result = new NotebookRunner().RunAsync(new RunRequest
        {
            NotebookPath = _notebook,
            // Each trial's executed notebook is kept, by its run, beside the runner's default outputs.
            OutputPath = Path.Combine(Storage.TrackingStores.EnsureStateFolder(Path.GetDirectoryName(_notebook)!), "sweeps", trial.RunId + Path.GetExtension(_notebook)),
            Parameters = parameters,
            RunToContinue = trial.RunId,
            TrackingUri = _trackingUri,
            // The sweep's pruner watches the metric as the notebook logs it, and stops a lagging trial in its cell.
            MetricLogged = MlopsSession.Current.MetricLogged,
        }).GetAwaiter().GetResult();
        if (result.Failure is { } failure)
        {
            if (failure.Kind == typeof(TrialPrunedException).FullName)
            {
                throw new TrialPrunedException(trial.Number, LastStep(trial.RunId));
            }
            throw new MlopsException(
                $"{Path.GetFileName(_notebook)}, cell {(failure.SourceCell ?? failure.Cell).ToString(CultureInfo.InvariantCulture)}"
                + $"{(failure.Line is { } line ? ", line " + line.ToString(CultureInfo.InvariantCulture) : "")}: {failure.Kind}: {failure.Message}",
                $"The executed notebook, with the error in that cell: {result.Output}");
        }
        using var client = new TrackingClient(_trackingUri);
        var run = client.GetRun(trial.RunId);
        return run.Metrics.TryGetValue(_metric, out var metric) ? metric.Value : throw new MlopsException(
            $"{Path.GetFileName(_notebook)} logged no '{_metric}' on the trial's run.",
            run.Metrics.Count == 0 ? $"Log it in the notebook's run: Mlops.LogMetric(\"{_metric}\", value, step)."
                : $"It logged {string.Join(", ", run.Metrics.Keys)}; log '{_metric}', or sweep with --metric {run.Metrics.Keys.First()}.");
    }

    private long LastStep(string runId)
    {
        using var client = new TrackingClient(_trackingUri);
        return client.GetRun(runId).Metrics.TryGetValue(_metric, out var m) ? m.Step : 0;
    }

    private static string Text(object value) => value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value.ToString() ?? "";

    private static bool Fits(Hyperparameter parameter, string type)
    {
        var plain = type.TrimEnd('?').Replace("System.", "", StringComparison.Ordinal);
        return parameter switch
        {
            IntParameter => plain is "int" or "long" or "double" or "float" or "decimal" or "Int32" or "Int64" or "Double" or "Single" or "Decimal",
            FloatParameter => plain is "double" or "float" or "decimal" or "Double" or "Single" or "Decimal",
            _ => plain is "string" or "String",
        };
    }

    private static string Example(Hyperparameter parameter) => parameter switch
    {
        IntParameter p => $"int {p.ShortName} = {p.Low.ToString(CultureInfo.InvariantCulture)};",
        FloatParameter p => $"double {p.ShortName} = {p.Low.ToString(CultureInfo.InvariantCulture)};",
        ChoiceParameter p => $"string {p.ShortName} = \"{p.Choices.FirstOrDefault()}\";",
        _ => $"string {parameter.ShortName} = \"\";",
    };
}
