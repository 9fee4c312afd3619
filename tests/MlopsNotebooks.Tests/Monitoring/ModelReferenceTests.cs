using System.Text.Json.Nodes;
using Microsoft.ML;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tests.Registry;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Monitoring;

/// <summary>A version's reference for drift: profiled at registration from its training data, carried in the bundle, read back as untrusted input.</summary>
public sealed class ModelReferenceTests : IDisposable
{
    private readonly GitRepository _git = new();
    private readonly TrackingClient _client;
    private readonly ModelRegistry _registry;

    public ModelReferenceTests()
    {
        _client = new TrackingClient(_git.PathOf(".mlops/mlops.db"));
        _registry = new ModelRegistry(_client);
    }

    public void Dispose()
    {
        _client.Dispose();
        _git.Dispose();
    }

    private static string Csv(IEnumerable<Row> rows) =>
        "Tenure,Calls,Plan,Label\n" + string.Concat(rows.Select(r => FormattableString.Invariant($"{r.Tenure},{r.Calls},{r.Plan},{r.Label}\n")));

    [Fact]
    public void Registering_with_training_data_profiles_the_columns_the_model_needs_and_its_predictions_and_the_bundle_carries_them()
    {
        var rows = ChurnRows.Rows(1500, 1);
        var (model, data) = ChurnRows.Train(rows);
        var run = _client.CreateRun("drift", "train");
        _client.LogBatch(run.RunId, [new Metric("auc", 0.91, 0, 1)], []);
        var version = _registry.Register(run.RunId, model, data.Schema, "churn", alias: "candidate", referenceData: data);

        var folder = _registry.Export("churn@candidate", _git.PathOf("bundle"));
        Assert.Equal(ModelRegistry.BundleFiles.Concat(ModelRegistry.ReferenceFiles).Order(StringComparer.Ordinal), Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var reference = Reference.Load(folder);
        // The label is not an input the model needs: drift watches what the server receives.
        Assert.Equal(["Tenure", "Calls", "Plan"], reference.Profile.Columns.Select(c => c.Name));
        Assert.Equal(("churn", 1, run.RunId, 1500L), (reference.Profile.Model, reference.Profile.Version, reference.Profile.RunId, reference.Profile.Rows));
        Assert.Equal(0.91, reference.Profile.Metrics["auc"]);
        Assert.Equal("Probability", reference.Profile.Prediction!.Name);
        Assert.Equal(("Probability", 1500L), (reference.ExactPrediction!.Name, reference.ExactPrediction.Count));
        // Data holding the model's predictions has them compared too, in both modes.
        var scored = MlopsNotebooks.Monitoring.DataViewColumns.Read(model.Transform(data), ["Tenure", "Calls", "Plan", "Probability"]);
        foreach (var mode in new[] { DriftMode.Exact, DriftMode.Profile })
        {
            var same = DriftAnalysis.Compare(reference, scored, new DriftOptions { Mode = mode });
            Assert.Equal(("Probability", false), (same.Prediction!.Column, same.Prediction.Drifted));
        }
        var plan = reference.Profile.Column("Plan")!;
        Assert.Equal(rows.Count(r => r.Plan == "pro"), plan.Frequencies!["pro"]);
        var tenure = reference.Exact![0];
        Assert.Equal(rows.Select(r => (double)r.Tenure).Order(), tenure.Sorted!);

        // The registry reads the same reference without an export.
        var stored = _registry.Reference(version)!;
        Assert.Equal(ReferenceProfiles.ToJson(reference.Profile), ReferenceProfiles.ToJson(stored.Profile));
    }

    [Fact]
    public void Registering_a_runs_model_finds_its_recorded_csv_input_and_drift_against_it_flags_a_shifted_batch_only()
    {
        var rows = ChurnRows.Rows(2000, 2);
        var (model, _) = ChurnRows.Train(rows);
        var csv = _git.Write("data/train.csv", Csv(rows));
        var run = _client.CreateRun("drift", "train");
        using (var repo = new DataRepository(_git.Root))
        {
            _client.LogInputs(run.RunId, [repo.Add(csv)]);
        }
        var (_, data) = ChurnRows.Train(rows);
        _registry.Register(run.RunId, model, data.Schema, "churn"); // logs the model; the data input is found by the run
        var version = _registry.Register(run.RunId, "churn", alias: "candidate");
        Assert.NotNull(_registry.Reference(version));

        var same = _git.Write("same.csv", Csv(ChurnRows.Rows(800, 3)));
        var shifted = _git.Write("shifted.csv", Csv(ChurnRows.Rows(800, 4, tenureShift: 25)));
        var registry = () => _registry;
        var calm = DriftInputs.CompareCsv(DriftInputs.Resolve("churn@candidate", registry), same, new DriftOptions());
        var moved = DriftInputs.CompareCsv(DriftInputs.Resolve("churn@candidate", registry), shifted, new DriftOptions());

        Assert.False(calm.Columns.Single(c => c.Column == "Tenure").Drifted);
        Assert.True(moved.Columns.Single(c => c.Column == "Tenure").Drifted);
        Assert.Equal(DriftTests.Wasserstein, moved.Columns.Single(c => c.Column == "Tenure").Test);
        Assert.False(moved.Columns.Single(c => c.Column == "Plan").Drifted);
        Assert.Contains(moved.Notes, n => n.Contains("Label")); // in the CSV, not an input the model needs
        Assert.Contains(moved.Notes, n => n.Contains("Probability")); // a CSV of inputs has no predictions to compare
    }

    [Fact]
    public void A_version_registered_without_reference_data_registers_and_drift_says_what_to_give_instead()
    {
        var (model, data) = ChurnRows.Train(ChurnRows.Rows(300, 5));
        var run = _client.CreateRun("drift", "train");
        _registry.Register(run.RunId, model, data.Schema, "churn");
        var folder = _registry.Export("churn", _git.PathOf("bundle"));

        Assert.Equal(ModelRegistry.BundleFiles.Order(StringComparer.Ordinal), Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var error = Assert.Throws<NotFoundException>(() => DriftInputs.Resolve("churn", () => _registry));
        Assert.Contains("without reference data", error.Message);
        Assert.Contains("mlops drift train.csv current.csv", error.Hint);
        Assert.Contains(Reference.ProfileFile, Assert.Throws<NotFoundException>(() => Reference.Load(folder)).Message);
    }

    public static TheoryData<string, string> ForgedProfiles() => new()
    {
        { "not json", "is not a reference profile" },
        { """{"format": 9, "rows": 1, "columns": []}""", "format 9" },
        { """{"rows": 10, "columns": [{"name": "x", "kind": "numerical", "count": 4, "missing": 0, "distinct": 3, "min": 0, "max": 2, "edges": [0, 2, 1], "counts": [2, 2]}]}""", "not ascending" },
        { """{"rows": 10, "columns": [{"name": "x", "kind": "numerical", "count": 4, "missing": 0, "distinct": 3, "min": 0, "max": 2, "edges": [0, 1, 2], "counts": [2, 9]}]}""", "add up" },
        { """{"rows": 3, "columns": [{"name": "c", "kind": "categorical", "count": 4, "missing": 0, "distinct": 1, "frequencies": {"a": 4}}]}""", "do not add up" },
        { """{"rows": 10, "columns": [{"name": "c", "kind": "categorical", "count": 4, "missing": 0, "distinct": 1, "frequencies": {"a": 3}}]}""", "do not add up" },
        { """{"rows": 10, "columns": [{"name": "x", "kind": "numerical", "count": 2, "missing": 0, "distinct": 1, "frequencies": {"NaN": 2}}]}""", "not numbers" },
        { """{"rows": 10, "columns": [{"name": "x", "kind": "numerical", "count": 2, "missing": 0, "distinct": 1}]}""", "neither bins nor value counts" },
        { """{"rows": 10, "columns": [{"name": "x", "kind": "sideways", "count": 2}]}""", "is not a reference profile" },
        { """{"rows": 10, "columns": [{"name": "c", "kind": "categorical", "count": 1, "frequencies": {"a": 1}}, {"name": "c", "kind": "categorical", "count": 1, "frequencies": {"a": 1}}]}""", "described twice" },
    };

    [Theory]
    [MemberData(nameof(ForgedProfiles))]
    public void A_forged_profile_in_a_bundle_is_refused_with_a_message(string text, string expected)
    {
        var folder = _git.PathOf("forged");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, Reference.ProfileFile), text);
        var error = Assert.ThrowsAny<MlopsException>(() => Reference.Load(folder));
        Assert.Contains(expected, error.Message);
        Assert.NotNull(error.Hint);
    }

    [Fact]
    public void A_bundle_whose_columns_file_does_not_match_its_profile_is_refused()
    {
        var (model, data) = ChurnRows.Train(ChurnRows.Rows(400, 6));
        var run = _client.CreateRun("drift", "train");
        _registry.Register(run.RunId, model, data.Schema, "churn", referenceData: data);
        var folder = _registry.Export("churn", _git.PathOf("bundle"));
        var other = Reference.FromData(new DataColumns([DataColumn.Numerical("Tenure", [1, 2, 3])]));
        using (var stream = File.Create(Path.Combine(folder, Reference.ColumnsFile)))
        {
            ReferenceColumns.Save(other.Exact!, stream);
        }
        Assert.Contains("does not hold the columns its profile describes", Assert.ThrowsAny<MlopsException>(() => Reference.Load(folder)).Message);
    }

    [Fact]
    public void A_profile_round_trips_through_its_json()
    {
        var rows = ChurnRows.Rows(3000, 7);
        var reference = Reference.FromData(new DataColumns([
            DataColumn.Numerical("Tenure", rows.Select(r => (double)r.Tenure).ToArray()),
            DataColumn.Categorical("Plan", rows.Select(r => r.Plan).ToArray())]));
        var json = ReferenceProfiles.ToJson(reference.Profile);
        var back = ReferenceProfiles.FromJson(json, "profile");
        Assert.Equal(json, ReferenceProfiles.ToJson(back));
        var tenure = back.Column("Tenure")!;
        Assert.Equal(3000, tenure.Counts!.Sum());
        Assert.Equal(rows.Min(r => r.Tenure), tenure.Edges![0], 1e-6);
        Assert.True(tenure.Edges.Length > ReferenceProfiles.TailEdges);
        Assert.Contains("\"kind\":\"categorical\"", json);
    }

    [Fact]
    public void Mlops_models_register_profiles_the_csv_it_is_given_and_refuses_one_without_the_models_columns()
    {
        var rows = ChurnRows.Rows(600, 8);
        var (model, data) = ChurnRows.Train(rows);
        var run = _client.CreateRun("drift", "train");
        _registry.Register(run.RunId, model, data.Schema, "scratch");
        var good = _git.Write("train.csv", Csv(rows));
        var wrong = _git.Write("wrong.csv", "Tenure,Calls\n1,2\n");
        var uri = _git.PathOf(".mlops/mlops.db");
        int Cli(params string[] args) => MlopsNotebooks.Cli.MlopsCli.Run([.. args, "--tracking-uri", uri], new StringWriter(), new StringWriter());

        Assert.Equal(0, Cli("models", "register", run.RunId, "churn", "--reference", good));
        Assert.Equal(600, _registry.Reference(_registry.Get("churn/1"))!.Profile.Rows);
        Assert.Equal(1, Cli("models", "register", run.RunId, "churn", "--reference", wrong));
        Assert.Equal(1, Cli("models", "register", run.RunId, "churn", "--reference", _git.PathOf("missing.csv")));
        Assert.Single(_registry.Versions("churn")); // a refused reference registers nothing
    }
}
