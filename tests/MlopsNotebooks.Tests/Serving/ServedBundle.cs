using Microsoft.ML;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Serving;

public sealed class CustomerRow
{
    public float Tenure { get; set; }
    public float Calls { get; set; }
    public string Plan { get; set; } = "";
    public bool Label { get; set; }
}

public sealed class CustomerPrediction
{
    public bool PredictedLabel { get; set; }
    public float Score { get; set; }
    public float Probability { get; set; }
}

/// <summary>
/// A real bundle: a small FastTree binary classifier trained on generated rows, registered as churn@candidate in a
/// SQLite store and exported as `mlops models download` does.
/// </summary>
public sealed class ServedBundle : IDisposable
{
    private readonly TempDirectory _temp = new();

    public ServedBundle()
    {
        StoreUri = _temp.File("mlops.db");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(400, seed: 1));
        var pipeline = ml.Transforms.Categorical.OneHotEncoding("PlanKey", "Plan")
            .Append(ml.Transforms.Concatenate("Features", "Tenure", "Calls", "PlanKey"))
            .Append(ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: 4, numberOfTrees: 10, minimumExampleCountPerLeaf: 2));
        var model = pipeline.Fit(data);
        using var client = new TrackingClient(StoreUri);
        var run = client.CreateRun("serving", "fasttree");
        var registry = new ModelRegistry(client);
        registry.Register(run.RunId, model, data.Schema, "churn", sampleInput: new { Tenure = 12, Calls = 1, Plan = "basic" }, alias: "candidate");
        Folder = registry.Export("churn@candidate", _temp.File("bundle"));
        client.SetTerminated(run.RunId);
    }

    public string StoreUri { get; }

    public string Folder { get; }

    public static List<CustomerRow> Rows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var tenure = (float)random.Next(0, 60);
            var calls = (float)random.Next(0, 6);
            return new CustomerRow { Tenure = tenure, Calls = calls, Plan = random.Next(3) switch { 0 => "basic", 1 => "pro", _ => "team" }, Label = calls * 10 > tenure };
        }).ToList();
    }

    /// <summary>A copy of the bundle in a new folder, to break in a test.</summary>
    public string Copy(TempDirectory into)
    {
        var folder = into.File("bundle-copy");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(Folder))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }
        return folder;
    }

    /// <summary>The bundle's model, loaded in this process: what the server's answers must agree with.</summary>
    public CustomerPrediction InProcess(CustomerRow row)
    {
        var ml = new MLContext(seed: 0);
        var model = ml.Model.Load(Path.Combine(Folder, "model.zip"), out _);
        return ml.Model.CreatePredictionEngine<CustomerRow, CustomerPrediction>(model).Predict(row);
    }

    public void Dispose() => _temp.Dispose();
}

/// <summary>One server over the shared bundle for a test class, on a free loopback port.</summary>
public sealed class RunningServer : IAsyncLifetime
{
    public ServedBundle Bundle { get; } = new();

    public MlopsNotebooks.Serving.ModelServer Server { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await MlopsNotebooks.Serving.ModelServer.StartAsync(new MlopsNotebooks.Serving.ServerOptions(Bundle.Folder) { Port = 0, MaxBodyBytes = 64 * 1024 });
        await Server.Ready;
        Http = new HttpClient { BaseAddress = Server.Address };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Bundle.Dispose();
    }
}
