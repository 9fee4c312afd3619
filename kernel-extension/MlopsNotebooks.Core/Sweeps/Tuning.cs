namespace MlopsNotebooks.Sweeps;

/// <summary>Whether a sweep looks for the highest value of its metric (AUC, accuracy) or the lowest (log-loss, RMSE).</summary>
public enum Direction
{
    Maximize,
    Minimize,
}

/// <summary>
/// How a trial ended. Complete and pruned trials inform the tuner; a failed one (the evaluation threw) counts against
/// the sweep's trial cap but teaches nothing; a lost one (its worker died or was stopped) is run again.
/// </summary>
public enum TrialState
{
    Running,
    Complete,
    Pruned,
    Failed,
    Lost,
}

/// <summary>A trial as the tuner and the pruner see it: its values, how it ended, its metric and the metric by step.</summary>
public sealed record TrialResult(
    int Number,
    IReadOnlyDictionary<string, object> Values,
    TrialState State,
    double? Value,
    IReadOnlyList<(long Step, double Value)> Steps);

/// <summary>
/// Proposes the next trial's values from the trials so far (all workers' trials, read from the store). Must be
/// deterministic for a given random source, history and space, so that a sweep is reproducible by its seed.
/// </summary>
public interface ITuner
{
    /// <summary>The tuner's name as the sweep records it and as YAML and the command line name it.</summary>
    string Name { get; }

    IReadOnlyDictionary<string, object> Suggest(SearchSpace space, IReadOnlyList<TrialResult> history, Direction direction, Random random);
}

/// <summary>
/// Decides whether a running trial should stop at a step given the other trials' steps: a trial that lags gives its
/// worker to a more promising one.
/// </summary>
public interface IPruner
{
    bool ShouldPrune(TrialResult trial, IReadOnlyList<TrialResult> others, Direction direction);
}
