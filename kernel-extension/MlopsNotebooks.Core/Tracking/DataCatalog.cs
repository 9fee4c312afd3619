using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tracking;

/// <summary>
/// <c>Mlops.Data</c>: versions data from notebook code and records which versions the active run used, so a run shows
/// code commit, notebook, parameters, data hashes and the models it produced.
/// </summary>
public sealed class DataCatalog
{
    internal DataCatalog()
    {
    }

    /// <summary>Versions a file or folder (see <see cref="DataRepository.Add"/>) and records it as an input of the active run.</summary>
    public DataVersion Add(string path, LinkType? link = null)
    {
        using var repo = Open(path);
        var version = repo.Add(path, link);
        Record(version);
        return version;
    }

    /// <summary>Records the current version of a file or folder as an input of the active run, without caching it.</summary>
    public DataVersion Use(string path)
    {
        if (Mlops.ActiveRunId is null)
        {
            throw new ConflictException("There is no active run to record the data in.", "Start one with Mlops.StartRun(...) first.");
        }
        using var repo = Open(path);
        var version = repo.Version(path);
        Record(version);
        return version;
    }

    // The repository around the data, which need not be the one around the current directory.
    private static DataRepository Open(string path) => new(Path.GetDirectoryName(Path.GetFullPath(path)));

    private static void Record(DataVersion version)
    {
        if (Mlops.ActiveRunId is { } runId)
        {
            Mlops.Client.LogInputs(runId, [version]);
        }
    }
}
