namespace MlopsNotebooks.Tracking;

/// <summary>A data version a run used: its repo-relative path and content hash (see Versioning).</summary>
public sealed record DataInput(string Path, string Hash, long Size, int Files);
