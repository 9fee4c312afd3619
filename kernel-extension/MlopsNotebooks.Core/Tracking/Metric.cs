namespace MlopsNotebooks.Tracking;

/// <summary>One point of a metric series: the value at a step, with the wall-clock time (ms since the Unix epoch) it
/// was logged. NaN and infinities are kept as such.</summary>
public readonly record struct Metric(string Key, double Value, long Step, long Timestamp)
{
    public DateTimeOffset Time => DateTimeOffset.FromUnixTimeMilliseconds(Timestamp);
}

/// <summary>A run's parameter: an input to training, fixed once logged.</summary>
public readonly record struct Param(string Key, string Value);

/// <summary>A free-form label on a run; unlike parameters, tags may be overwritten.</summary>
public readonly record struct RunTag(string Key, string Value);

/// <summary>A file stored with a run, identified by its content hash.</summary>
public sealed record ArtifactInfo(string Path, string Hash, long Size);
