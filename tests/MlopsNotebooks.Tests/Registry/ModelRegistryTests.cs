using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlopsNotebooks.Cli;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Registry;

public sealed class Row
{
    public float Tenure { get; set; }
    public float Calls { get; set; }
    public string Plan { get; set; } = "";
    public bool Label { get; set; }
}

/// <summary>The registry with real ML.NET models trained on a small data set.</summary>
public sealed class ModelRegistryTests : IDisposable
{
    private readonly GitRepository _git = new();
    private readonly TrackingClient _client;
    private readonly ModelRegistry _registry;
    private readonly string _uri;

    public ModelRegistryTests()
    {
        _uri = _git.PathOf(".mlops/mlops.db");
        _client = new TrackingClient(_uri);
        _registry = new ModelRegistry(_client);
    }

    public void Dispose()
    {
        _client.Dispose();
        _git.Dispose();
    }

    private static (ITransformer Model, DataViewSchema Schema) Train()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(1);
        var rows = Enumerable.Range(0, 200).Select(_ =>
        {
            var tenure = (float)random.Next(0, 60);
            var calls = (float)random.Next(0, 6);
            return new Row { Tenure = tenure, Calls = calls, Plan = random.Next(2) == 0 ? "basic" : "pro", Label = calls * 10 > tenure };
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Categorical.OneHotEncoding("PlanKey", "Plan")
            .Append(ml.Transforms.Concatenate("Features", "Tenure", "Calls", "PlanKey"))
            .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression(maximumNumberOfIterations: 5));
        return (pipeline.Fit(data), data.Schema);
    }

    private Run RunWithModel(string name, double auc)
    {
        var run = _client.CreateRun("registry", name);
        var (model, schema) = Train();
        _registry.Register(run.RunId, model, schema, "scratch"); // logs model/model.zip to the run
        _client.LogBatch(run.RunId, [new Metric("auc", auc, 0, 1)], [new Param("trainer", "sdca")]);
        return _client.GetRun(run.RunId);
    }

    [Fact]
    public void Registering_a_runs_model_numbers_versions_and_records_its_schema_metrics_and_lineage()
    {
        var csv = _git.Write("data/train.csv", "tenure,calls\n1,2\n");
        var run = _client.CreateRun("registry", "with-data");
        using (var repo = new DataRepository(_git.Root))
        {
            _client.LogInputs(run.RunId, [repo.Add(csv)]);
        }
        var (model, schema) = Train();
        _client.LogBatch(run.RunId, [new Metric("auc", 0.9, 3, 1)], [new Param("trainer", "sdca")]);
        var v1 = _registry.Register(run.RunId, model, schema, "churn");
        var v2 = _registry.Register(run.RunId, "churn");

        Assert.Equal(("churn", 1, run.RunId), (v1.Name, v1.Version, v1.RunId));
        Assert.Equal(2, v2.Version);
        var manifest = _registry.Manifest(v1);
        Assert.Equal(["Tenure", "Calls", "Plan", "Label"], manifest["input_schema"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal(["Single", "Single", "String", "Boolean"], manifest["input_schema"]!.AsArray().Select(c => (string)c!["type"]!));
        Assert.Contains("Probability", manifest["output_schema"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal(0.9, (double)manifest["metrics"]!["auc"]!);
        Assert.Equal("sdca", (string)manifest["params"]!["trainer"]!);
        Assert.Equal("data/train.csv", (string)manifest["data"]![0]!["path"]!);
        Assert.Equal(run.RunId, (string)manifest["run_id"]!);
    }

    [Fact]
    public void Aliases_point_at_versions_move_atomically_and_resolve_references()
    {
        var a = RunWithModel("a", 0.8);
        var b = RunWithModel("b", 0.9);
        var v1 = _registry.Register(a.RunId, "churn", alias: "staging");
        var v2 = _registry.Register(b.RunId, "churn");

        Assert.Equal(["staging"], v1.Aliases);
        Assert.Equal(1, _registry.Get("churn@staging").Version);
        _registry.SetAlias("churn", "staging", 2);
        _registry.SetAlias("churn", "production", 1);
        Assert.Equal(2, _registry.Get("churn@staging").Version);
        Assert.Equal(1, _registry.Get("models:/churn@production").Version);
        Assert.Equal(v2.Version, _registry.Get("churn").Version);
        Assert.Equal(1, _registry.Get("churn/1").Version);
        Assert.Equal(["production"], _registry.Get("churn/1").Aliases);

        var listed = Assert.Single(_registry.List(), m => m.Name == "churn");
        Assert.Equal(2, listed.LatestVersion);
        Assert.Equal(new Dictionary<string, int> { ["production"] = 1, ["staging"] = 2 }, listed.Aliases);

        _registry.DeleteAlias("churn", "production");
        Assert.Throws<NotFoundException>(() => _registry.Get("churn@production"));
        Assert.Contains("no version 7", Assert.Throws<NotFoundException>(() => _registry.SetAlias("churn", "staging", 7)).Message);
        Assert.Equal(2, _registry.Get("churn@staging").Version); // the failed move left it where it was
        Assert.Throws<InvalidNameException>(() => _registry.SetAlias("churn", "latest", 1));
        Assert.Throws<InvalidNameException>(() => _registry.SetAlias("churn", "../prod", 1));
        Assert.Throws<InvalidNameException>(() => _registry.Register(a.RunId, "bad/name"));
    }

    [Fact]
    public void The_export_bundle_holds_a_loadable_model_its_manifest_and_a_sample_input()
    {
        var run = RunWithModel("bundle", 0.85);
        var version = _registry.Register(run.RunId, "churn", alias: "candidate");
        var folder = _registry.Export("churn@candidate", _git.PathOf("bundle"));

        Assert.Equal(["manifest.json", "model.zip", "sample-input.json"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")))!;
        Assert.Equal(("churn", 1), ((string)manifest["name"]!, (int)manifest["version"]!));
        Assert.Equal(["candidate"], manifest["aliases"]!.AsArray().Select(a => (string)a!));
        Assert.Equal(version.ModelHash, (string)manifest["model"]!["hash"]!);
        Assert.Equal(version.ModelHash, ContentHash.OfFile(Path.Combine(folder, "model.zip")).ToString());

        // The sample input fits the model: load both and predict.
        var ml = new MLContext();
        var model = ml.Model.Load(Path.Combine(folder, "model.zip"), out var schema);
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "sample-input.json")))!.AsObject();
        Assert.Equal(schema.Select(c => c.Name).Order(), sample.Select(p => p.Key).Order());
        var row = new Row { Tenure = (float)sample["Tenure"]!, Calls = (float)sample["Calls"]!, Plan = (string)sample["Plan"]!, Label = (bool)sample["Label"]! };
        var scored = model.Transform(ml.Data.LoadFromEnumerable([row]));
        Assert.Single(scored.GetColumn<float>("Probability"));
    }

    [Fact]
    public void The_registry_registers_and_exports_through_any_artifact_store_not_only_the_cache()
    {
        var location = MlopsNotebooks.Storage.TrackingStores.Open(_git.PathOf("blob.db"));
        var blobs = new MlopsNotebooks.Tests.Storage.FlatFolderArtifactStore(_git.PathOf("blobs"));
        using var client = new TrackingClient(location.Store, blobs, location.OpenModelRegistry, ownsStore: true);
        var registry = new ModelRegistry(client);
        var run = client.CreateRun("registry", "blob");
        var (model, schema) = Train();

        var version = registry.Register(run.RunId, model, schema, "churn", alias: "candidate");
        var bundle = registry.Export("churn@candidate", _git.PathOf("bundle"));

        Assert.Equal(1, version.Version);
        Assert.Equal("mlnet-model", (string)registry.Manifest(version)["format"]!);
        Assert.Equal(File.ReadAllBytes(Path.Combine(bundle, "model.zip")), ReadAll(blobs.OpenRead(ContentHash.Parse(version.ModelHash))));
        Assert.False(Directory.Exists(_git.PathOf("blob.cache")));
    }

    [Fact]
    public void A_client_opened_without_a_registry_store_says_so_when_the_registry_is_used()
    {
        var location = MlopsNotebooks.Storage.TrackingStores.Open(_git.PathOf("plain.db"));
        using var client = new TrackingClient(location.Store, location.Artifacts, ownsStore: true);
        var error = Assert.Throws<MlopsException>(() => new ModelRegistry(client).List());
        Assert.Equal($"The tracking store at {location.Store.Location} has no model registry.", error.Message);
    }

    private static byte[] ReadAll(Stream stream)
    {
        using (stream)
        using (var copy = new MemoryStream())
        {
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }

    [Fact]
    public void A_corrupt_model_object_is_never_exported()
    {
        var run = RunWithModel("corrupt", 0.85);
        var version = _registry.Register(run.RunId, "churn");
        var cache = new ObjectCache(_git.PathOf(".mlops/cache"));
        Corruption.FlipByte(cache.PathOf(ContentHash.Parse(version.ModelHash)), 100);
        Assert.Throws<CorruptObjectException>(() => _registry.Export("churn/1", _git.PathOf("out")));
        Assert.False(File.Exists(_git.PathOf("out/model.zip")));
    }

    [Fact]
    public void Registering_what_is_not_a_model_says_what_to_do()
    {
        var run = _client.CreateRun("registry", "no-model");
        Assert.Contains("Log the model first", Assert.Throws<NotFoundException>(() => _registry.Register(run.RunId, "churn")).Hint);
        var notes = _git.Write("notes.txt", "not a model");
        _client.LogArtifact(run.RunId, notes, "model/model.zip");
        var error = Assert.Throws<MlopsException>(() => _registry.Register(run.RunId, "churn"));
        Assert.Contains("is not an ML.NET model", error.Message);
        Assert.Empty(_registry.List());
    }

    [Fact]
    public void The_cli_lists_shows_aliases_and_downloads_models_and_runs_show_their_data()
    {
        var csv = _git.Write("data/train.csv", "x\n1\n");
        var run = RunWithModel("cli", 0.8);
        using (var repo = new DataRepository(_git.Root))
        {
            _client.LogInputs(run.RunId, [repo.Add(csv)]);
        }
        string Mlops(params string[] args)
        {
            var (output, error) = (new StringWriter(), new StringWriter());
            var code = MlopsCli.Run([.. args, "--tracking-uri", _uri], output, error);
            Assert.True(code == 0, error.ToString());
            return output.ToString();
        }
        Assert.Contains("Registered churn/1 (candidate)", Mlops("models", "register", run.RunId[..8], "churn", "--alias", "candidate"));
        Assert.Matches(@"churn\s+1\s+candidate=1", Mlops("models", "list"));
        Assert.Contains("churn@production -> version 1.", Mlops("models", "alias", "churn", "production", "1"));
        Assert.Contains("\"input_schema\"", Mlops("models", "show", "churn@production"));
        Assert.Contains("Exported churn/1", Mlops("models", "download", "churn@candidate", "--to", _git.PathOf("exported")));
        Assert.True(File.Exists(_git.PathOf("exported/model.zip")));
        Assert.Matches(@"Data used\nPATH\s+HASH\s+FILES\ndata/train\.csv\s+sha256:", Mlops("runs", "show", run.RunId));
    }

    [Fact]
    public void An_export_that_fails_leaves_the_earlier_bundle_whole_and_other_folders_untouched()
    {
        var v1 = _registry.Register(RunWithModel("one", 0.8).RunId, "churn");
        var v2 = _registry.Register(RunWithModel("two", 0.9).RunId, "churn");
        var bundle = _git.PathOf("bundle");
        _registry.Export("churn/1", bundle);
        var before = Directory.EnumerateFiles(bundle).Order().Select(f => (Path.GetFileName(f), File.ReadAllText(f))).ToList();
        var cache = new ObjectCache(_git.PathOf(".mlops/cache"));
        Corruption.FlipByte(cache.PathOf(ContentHash.Parse(v2.SampleHash)), 0); // the model copies, then the sample fails

        Assert.Throws<CorruptObjectException>(() => _registry.Export("churn/2", bundle));

        Assert.Equal(before, Directory.EnumerateFiles(bundle).Order().Select(f => (Path.GetFileName(f), File.ReadAllText(f))).ToList());
        Assert.Equal(1, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "manifest.json")))!["version"]!);
        Assert.Single(Directory.EnumerateFileSystemEntries(_git.Root, "bundle*"));

        // A folder that holds anything else is never replaced; a file or an unwritable place is a message, not a crash.
        _git.Write("notes/keep.md", "mine\n");
        Assert.Contains("not part of a bundle", Assert.Throws<ConflictException>(() => _registry.Export("churn/1", _git.PathOf("notes"))).Message);
        Assert.Equal("mine\n", File.ReadAllText(_git.PathOf("notes/keep.md")));
        Assert.Contains("is a file", Assert.Throws<MlopsException>(() => _registry.Export("churn/1", _git.PathOf("notes/keep.md"))).Message);
        var (output, error) = (new StringWriter(), new StringWriter());
        Assert.Equal(1, MlopsCli.Run(["models", "download", "churn/1", "--to", "/proc/mlops-bundle", "--tracking-uri", _uri], output, error));
        Assert.Contains("Cannot write the bundle", error.ToString());
        Assert.Equal(v1.Version, _registry.Get("churn/1").Version);
    }
}
