namespace MlopsNotebooks.Sweeps;

/// <summary>
/// How a sweep searches and when it stops. Workers that start a sweep with the same <see cref="Name"/> in the same
/// experiment join one sweep through the tracking store; starting a stopped sweep's name again resumes it.
/// </summary>
public sealed record SweepOptions
{
    /// <summary>The sweep's name in its experiment (its parent run's name); null gives each call a new sweep.</summary>
    public string? Name { get; init; }

    /// <summary>The experiment the sweep and its trials go to; null is the session's current one.</summary>
    public string? Experiment { get; init; }

    /// <summary>The metric each trial returns and the tuner optimizes, e.g. <c>auc</c>.</summary>
    public required string Metric { get; init; }

    public Direction Direction { get; init; } = Direction.Maximize;

    /// <summary>The most trials the sweep runs across all its workers (failed ones count, lost ones are run again).</summary>
    public int? Trials { get; init; }

    /// <summary>
    /// How long the sweep may start new trials, from when it (or its resumption) starts, across all its workers; a trial
    /// that is running when it ends finishes.
    /// </summary>
    public TimeSpan? Budget { get; init; }

    public ITuner Tuner { get; init; } = new RandomTuner();

    /// <summary>Stops lagging trials; null runs every trial to its end.</summary>
    public IPruner? Pruner { get; init; }

    /// <summary>Seeds the tuner, so that a sweep on one worker is reproducible.</summary>
    public int Seed { get; init; }

    /// <summary>Told the sweep's state (all workers' trials) when this worker starts and ends a trial: progress bars and live tables.</summary>
    public IProgress<SweepStatus>? Progress { get; init; }

    /// <summary>How often a worker marks its running trial alive.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a trial on another machine may go without a heartbeat before other workers take it as lost (a trial of
    /// a process on this machine that is gone is lost at once).
    /// </summary>
    public TimeSpan HeartbeatGrace { get; init; } = TimeSpan.FromSeconds(60);
}
