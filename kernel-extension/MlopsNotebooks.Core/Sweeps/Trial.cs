using System.Globalization;

namespace MlopsNotebooks.Sweeps;

/// <summary>
/// Thrown by <see cref="Trial.Report"/> (and by logging the sweep's metric by step inside a trial) when the pruner stops
/// the trial; the sweep catches it and records the trial as pruned. Let it propagate.
/// </summary>
public sealed class TrialPrunedException(int trial, long step)
    : Exception($"Trial {trial} was pruned at step {step.ToString(CultureInfo.InvariantCulture)}: it lags the median of the trials before it.")
{
    public int Trial { get; } = trial;

    public long Step { get; } = step;
}

/// <summary>
/// One trial as the evaluation sees it: its number in the sweep, its nested run (active while the evaluation runs, so
/// <c>Mlops.LogMetric</c> and <c>Mlops.Models</c> go to it) and its values.
/// </summary>
public sealed class Trial
{
    internal Trial(int number, string runId, IReadOnlyDictionary<string, object> values, Func<double, long, bool> report)
    {
        Number = number;
        RunId = runId;
        Values = values;
        _report = report;
    }

    private readonly Func<double, long, bool> _report;

    public int Number { get; }

    public string RunId { get; }

    /// <summary>The active hyperparameters' values, by full name (<c>FastTree.numberOfLeaves</c>).</summary>
    public IReadOnlyDictionary<string, object> Values { get; }

    /// <summary>The chosen trainer in a space made of trainers, else null.</summary>
    public string? Trainer => Values.TryGetValue(SearchSpace.TrainerParameter, out var t) ? t as string : null;

    /// <summary>A value by full or short name (<c>numberOfLeaves</c> is the active trainer's), converted to <typeparamref name="T"/>.</summary>
    public T Get<T>(string name)
    {
        var value = Values.TryGetValue(name, out var v) ? v
            : Values.Where(p => p.Key.EndsWith("." + name, StringComparison.Ordinal)).Select(p => p.Value).FirstOrDefault()
            ?? throw new MlopsException($"Trial {Number} has no value named '{name}'.",
                $"Its values: {string.Join(", ", Values.Keys)}. A trainer's hyperparameter has a value only when that trainer is chosen.");
        return (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Logs the sweep's metric at <paramref name="step"/> to the trial's run and asks the pruner; throws
    /// <see cref="TrialPrunedException"/> when the trial lags.
    /// </summary>
    public void Report(double value, long step)
    {
        if (_report(value, step))
        {
            throw new TrialPrunedException(Number, step);
        }
    }
}
