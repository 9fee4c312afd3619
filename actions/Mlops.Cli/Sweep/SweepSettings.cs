namespace MlopsNotebooks.Cli.Sweep;

/// <summary>
/// <c>mlops sweep</c>: the sweep file, the notebook each trial runs, and the flags that override the file's settings
/// (null where not given).
/// </summary>
internal sealed record SweepSettings(
    string SpacePath,
    string NotebookPath,
    string? Name,
    string? Experiment,
    int? Trials,
    TimeSpan? Budget,
    string? Tuner,
    string? Pruner,
    string? Metric,
    int? Seed,
    string? TrackingUri);

/// <summary><c>mlops sweep show</c>: a sweep by name, in an experiment or wherever it is.</summary>
internal sealed record ShowSweepSettings(string Name, string? Experiment);

/// <summary><c>mlops sweep best</c>: register the best trial's model as the next version of <see cref="Model"/>.</summary>
internal sealed record BestSweepSettings(string Name, string? Experiment, string Model, string? Alias);
