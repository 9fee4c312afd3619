using System.Globalization;
using MlopsNotebooks.Storage;

namespace MlopsNotebooks.Registry;

/// <summary>
/// The model registry over SQL, in the tracking store's database (<see cref="SqlDatabase"/>: one schema, one list of
/// migrations), so a model version's run id refers to a run there.
/// </summary>
public sealed partial class SqlModelRegistryStore : IModelRegistryStore
{
    private readonly SqlDatabase _db;
    private readonly bool _ownsDatabase;

    /// <summary>A registry store on <paramref name="database"/>, which it closes when disposed if it owns it.</summary>
    public SqlModelRegistryStore(SqlDatabase database, bool ownsDatabase = true)
    {
        _db = database;
        _ownsDatabase = ownsDatabase;
    }

    public string Location => _db.Location;


    public ModelVersion CreateModelVersion(NewModelVersion v)
    {
        var number = _db.Write(tx =>
        {
            _db.Execute(tx, "INSERT INTO registered_models (name, creation_time) VALUES (@n, @t) ON CONFLICT (name) DO NOTHING",
                ("n", v.Name), ("t", v.CreationTime.ToUnixTimeMilliseconds()));
            var next = Convert.ToInt32(_db.Scalar(tx, "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = @n", ("n", v.Name)), CultureInfo.InvariantCulture);
            _db.Execute(tx, """
                INSERT INTO model_versions (name, version, run_id, model_hash, manifest_hash, sample_hash, creation_time)
                VALUES (@n, @v, @r, @m, @f, @s, @t)
                """, ("n", v.Name), ("v", next), ("r", v.RunId), ("m", v.ModelHash), ("f", v.ManifestHash), ("s", v.SampleHash),
                ("t", v.CreationTime.ToUnixTimeMilliseconds()));
            return next;
        });
        return GetModelVersion(v.Name, number)!;
    }

    public ModelVersion? GetModelVersion(string name, int version) =>
        _db.Read(() => QueryVersions("WHERE v.name = @n AND v.version = @v", ("n", name), ("v", version)).FirstOrDefault());

    public ModelVersion? GetModelVersionByAlias(string name, string alias) =>
        _db.Read(() => QueryVersions("WHERE v.name = @n AND v.version = (SELECT version FROM model_aliases WHERE name = @n AND alias = @a)",
            ("n", name), ("a", alias)).FirstOrDefault());

    public IReadOnlyList<ModelVersion> ListModelVersions(string? name) => _db.Read(() => name is null
        ? QueryVersions("ORDER BY v.name, v.version DESC")
        : QueryVersions("WHERE v.name = @n ORDER BY v.version DESC", ("n", name)));

    public IReadOnlyList<RegisteredModel> ListModels() => _db.Read(() =>
    {
        var aliases = new Dictionary<string, SortedDictionary<string, int>>();
        using (var cmd = _db.Command(null, "SELECT name, alias, version FROM model_aliases"))
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                SqlDatabase.Bucket(aliases, reader.GetString(0))[reader.GetString(1)] = reader.GetInt32(2);
            }
        }
        using var models = _db.Command(null, """
            SELECT m.name, m.creation_time, (SELECT MAX(version) FROM model_versions v WHERE v.name = m.name)
            FROM registered_models m ORDER BY m.name
            """);
        using var rows = models.ExecuteReader();
        var result = new List<RegisteredModel>();
        while (rows.Read())
        {
            var name = rows.GetString(0);
            result.Add(new RegisteredModel(name, rows.IsDBNull(2) ? 0 : rows.GetInt32(2), DateTimeOffset.FromUnixTimeMilliseconds(rows.GetInt64(1)),
                aliases.GetValueOrDefault(name) ?? new SortedDictionary<string, int>(StringComparer.Ordinal)));
        }
        return result;
    });

    public void SetAlias(string name, string alias, int version) => _db.Write(tx =>
    {
        if (_db.Scalar(tx, "SELECT 1 FROM model_versions WHERE name = @n AND version = @v", ("n", name), ("v", version)) is null)
        {
            throw new NotFoundException($"Model {name} has no version {version}.", $"List its versions with `mlops models show {name}`.");
        }
        return _db.Execute(tx, """
            INSERT INTO model_aliases (name, alias, version) VALUES (@n, @a, @v)
            ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version
            """, ("n", name), ("a", alias), ("v", version));
    });

    public bool DeleteAlias(string name, string alias) =>
        _db.Write(tx => _db.Execute(tx, "DELETE FROM model_aliases WHERE name = @n AND alias = @a", ("n", name), ("a", alias))) > 0;

    private List<ModelVersion> QueryVersions(string where, params (string, object?)[] args)
    {
        using var cmd = _db.Command(null, $"""
            SELECT v.name, v.version, v.run_id, v.model_hash, v.manifest_hash, v.sample_hash, v.creation_time,
                   (SELECT GROUP_CONCAT(a.alias, ',') FROM model_aliases a WHERE a.name = v.name AND a.version = v.version)
            FROM model_versions v {where}
            """, args);
        using var reader = cmd.ExecuteReader();
        var result = new List<ModelVersion>();
        while (reader.Read())
        {
            var aliases = reader.IsDBNull(7) ? [] : reader.GetString(7).Split(',').Order(StringComparer.Ordinal).ToList();
            result.Add(new ModelVersion(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3), reader.GetString(4), reader.GetString(5), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)), aliases));
        }
        return result;
    }

    public IReadOnlyList<string> ReferencedHashes() => _db.Read(() =>
    {
        using var cmd = _db.Command(null, """
            SELECT model_hash FROM model_versions
            UNION SELECT manifest_hash FROM model_versions
            UNION SELECT sample_hash FROM model_versions
            """);
        return SqlDatabase.ReadStrings(cmd);
    });

    public void Dispose()
    {
        if (_ownsDatabase)
        {
            _db.Dispose();
        }
        GC.SuppressFinalize(this);
    }
}
