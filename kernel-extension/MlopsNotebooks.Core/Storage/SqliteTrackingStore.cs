namespace MlopsNotebooks.Storage;

/// <summary>The tracking store in one SQLite file (see <see cref="SqliteDatabase"/> for locking and durability).</summary>
public sealed class SqliteTrackingStore(string path, bool readOnly = false, string? artifactUri = null)
    : SqlTrackingStore(new SqliteDatabase(path, readOnly), artifactUri: artifactUri);
