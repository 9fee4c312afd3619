namespace MlopsNotebooks.Versioning;

/// <summary>
/// What <c>mlops data gc --remote</c> removed from a remote (or would, in a dry run), sorted by hash, and what it kept:
/// objects something refers to, and unreferenced ones written within the grace period.
/// </summary>
public sealed record RemoteGcResult(string Remote, IReadOnlyList<RemoteObject> Removed, bool DryRun)
{
    public long RemovedBytes => Removed.Sum(o => o.Size);

    /// <summary>Objects on the remote that a pointer, run artifact or model version refers to.</summary>
    public int InUse { get; init; }

    public long InUseBytes { get; init; }

    /// <summary>Unreferenced objects kept because they were written within the grace period.</summary>
    public int Young { get; init; }

    public long YoungBytes { get; init; }
}
