using MlopsNotebooks.Storage;

namespace MlopsNotebooks.Registry;

/// <summary>Copying model versions between stores (<c>mlops sync</c>), numbers kept.</summary>
public sealed partial class SqlModelRegistryStore
{
    public ImportResult ImportModelVersion(ModelVersion version, DateTimeOffset modelCreationTime)
    {
        if (GetModelVersion(version.Name, version.Version) is { } here)
        {
            return here with { Aliases = version.Aliases } == version
                ? ImportResult.Unchanged
                : ImportResult.Refused($"version {version.Version} here has another run, model, manifest, sample or registration time");
        }
        return _db.Write(tx =>
        {
            _db.Execute(tx, "INSERT INTO registered_models (name, creation_time) VALUES (@n, @t) ON CONFLICT (name) DO NOTHING",
                ("n", version.Name), ("t", modelCreationTime.ToUnixTimeMilliseconds()));
            var inserted = _db.Execute(tx, """
                INSERT INTO model_versions (name, version, run_id, model_hash, manifest_hash, sample_hash, creation_time)
                VALUES (@n, @v, @r, @m, @f, @s, @t) ON CONFLICT (name, version) DO NOTHING
                """, ("n", version.Name), ("v", version.Version), ("r", version.RunId), ("m", version.ModelHash), ("f", version.ManifestHash),
                ("s", version.SampleHash), ("t", version.CreationTime.ToUnixTimeMilliseconds()));
            return inserted == 0 ? ImportResult.Refused("another client registered it here at the same time; sync again to compare") : ImportResult.Created;
        });
    }
}
