using Microsoft.ML;

namespace MlopsNotebooks.Sweeps;

/// <summary>One trial as the sweep's views show it: its nested run, values (by full name), state and metric.</summary>
public sealed record SweepTrial(
    int Number,
    string RunId,
    IReadOnlyDictionary<string, object> Values,
    TrialState State,
    double? Value,
    TimeSpan? Duration)
{
    /// <summary>Why it ended as it did when that is not plain: the error of a failed trial, the step a pruned one stopped at, the trial a lost one was redone as.</summary>
    public string? Note { get; init; }
}

/// <summary>
/// A sweep as the store has it now, across all its workers: read for the progress bar, the live table in a notebook and
/// <c>mlops sweep show</c>.
/// </summary>
public sealed record SweepStatus(
    string RunId,
    string Name,
    string Metric,
    Direction Direction,
    IReadOnlyList<SweepTrial> Trials,
    int? Cap,
    DateTimeOffset? Deadline)
{
    /// <summary>The complete trial with the best value (the first of equals), or null before one completes.</summary>
    public SweepTrial? Best => Trials.Where(t => t.State == TrialState.Complete && t.Value is { } v && !double.IsNaN(v))
        .Aggregate((SweepTrial?)null, (best, t) => best is null || (Direction == Direction.Maximize ? t.Value > best.Value : t.Value < best.Value) ? t : best);
}

/// <summary>
/// What a sweep evaluates: a trial's metric (reporting intermediate values with <see cref="Trial.Report"/> lets the
/// pruner stop it), and where it can, the model of a trial's values trained on all the data, so that the best trial's
/// model can be registered although no trial kept one.
/// </summary>
public interface ISweepEvaluation
{
    double Evaluate(Trial trial);

    /// <summary>The model of <paramref name="values"/> fitted on all the data, with that data (profiled as the model's drift reference); null when it cannot.</summary>
    (ITransformer Model, IDataView Data)? Fit(IReadOnlyDictionary<string, object> values) => null;
}
