using System.Text;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Versioning;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Tests.Cli;

/// <summary>
/// The JSON and text that `mlops models` and `mlops data` print come from Views: these pin their exact shape (field
/// names, order, nulls, units), which scripts read.
/// </summary>
public sealed class EntityViewsTests
{
    private static readonly ContentHash Hash = ContentHash.Of(Encoding.UTF8.GetBytes("churn"));
    private static readonly DataVersion Csv = new("data/churn.csv", Hash, 2048, 1, false);
    private static readonly DataVersion Folder = new("data/images", Hash, 3L * 1024 * 1024, 12, true);

    [Fact]
    public void A_model_version_is_written_with_its_hashes_aliases_and_time_in_milliseconds()
    {
        var version = new ModelVersion("churn", 3, "abc123", "sha256:m", "sha256:f", "sha256:s",
            DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), ["candidate"]);
        Assert.Equal("""
            {
              "name": "churn",
              "version": 3,
              "run_id": "abc123",
              "aliases": [
                "candidate"
              ],
              "model_hash": "sha256:m",
              "manifest_hash": "sha256:f",
              "sample_hash": "sha256:s",
              "creation_time": 1700000000123
            }
            """, RunJson.Write(ModelJson.Version(version)));
        var withManifest = ModelJson.Version(version with { RunId = null }, new() { ["a"] = 1 });
        Assert.Null(withManifest["run_id"]);
        Assert.Equal(("manifest", """{"a":1}"""), (withManifest.Last().Key, withManifest.Last().Value!.ToJsonString()));
        Assert.Equal("Registered churn/3 (candidate) from run abc123.\n", ModelText.Registered(version));
    }

    [Fact]
    public void A_registered_model_is_written_with_its_aliases_as_an_object()
    {
        var model = new RegisteredModel("churn", 2, DateTimeOffset.UnixEpoch, new Dictionary<string, int> { ["production"] = 1, ["staging"] = 2 });
        Assert.Equal("""[{"name":"churn","latest_version":2,"aliases":{"production":1,"staging":2}}]""", ModelJson.Models([model]).ToJsonString());
        Assert.Equal("NAME   LATEST  ALIASES                  CREATED\nchurn       2  production=1, staging=2  1970-01-01 00:00:00\n",
            ModelText.Models([model]));
        Assert.Equal("No registered models.\n", ModelText.Models([]));
    }

    [Fact]
    public void Data_versions_statuses_and_changes_are_written_with_the_type_and_the_recorded_version()
    {
        Assert.Equal($$"""{"path":"data/images","hash":"{{Hash}}","size":3145728,"files":12,"type":"directory"}""", DataJson.Version(Folder).ToJsonString());
        var status = new DataStatus("data/churn.csv", DataState.Modified, false, Csv, ["a.csv"]);
        Assert.Equal($$"""[{"path":"data/churn.csv","state":"modified","in_cache":false,"recorded":{"path":"data/churn.csv","hash":"{{Hash}}","size":2048,"files":1,"type":"file"},"changed_files":["a.csv"]}]""",
            DataJson.Statuses([status]).ToJsonString());
        var change = new DataChange("data/churn.csv", ChangeKind.Added, null, Csv, []);
        Assert.Equal($$"""{"path":"data/churn.csv","change":"added","before":null,"after":{"path":"data/churn.csv","hash":"{{Hash}}","size":2048,"files":1,"type":"file"},"changed_files":[]}""",
            DataJson.Change(change).ToJsonString());
        Assert.Equal($"added: data/churn.csv  - -> {Hash.ToString()[..19]}\n", DataText.Changes([change]));
        Assert.Equal("No data changes.\n", DataText.Changes([]));
        Assert.Equal($"data/images: {Hash} (12 files, 3.0 MiB) -> data/images.mlops\ndata/churn.csv: {Hash} (1 file, 2.0 KiB) -> data/churn.csv.mlops\n"
            + "Commit the .mlops pointer files (and .gitignore) to git; `mlops data push` shares the data.\n", DataText.Added([Folder, Csv]));
    }

    [Fact]
    public void Transfers_and_gc_say_what_moved_what_was_kept_and_why()
    {
        var transfer = new TransferResult(2, 1, 512, [Hash]);
        Assert.Equal($$"""{"transferred":2,"already_there":1,"bytes":512,"unavailable":["{{Hash}}"]}""", DataJson.Transfer(transfer).ToJsonString());
        Assert.Equal("uploaded 2 objects (512 B); 1 already there.\n1 objects are in neither place: re-add their data where it exists.\n",
            DataText.Transfer(transfer, "uploaded"));
        var gc = new GcResult([Hash], 4, 5L * 1024 * 1024 * 1024, DryRun: true) { Young = 1, Temporary = 2 };
        Assert.Equal($$"""{"dry_run":true,"removed":["{{Hash}}"],"bytes":5368709120,"kept":4,"kept_young":1,"temporary_files":2}""", DataJson.Gc(gc).ToJsonString());
        Assert.Equal($"{Hash}\nwould remove 1 objects and 2 temporary files (5.00 GiB); kept 4 in use and 1 unreferenced but changed within 01:00:00.\n",
            DataText.Gc(gc, TimeSpan.FromHours(1)));
    }
}
