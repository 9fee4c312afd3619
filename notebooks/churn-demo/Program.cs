using System.Globalization;
using Microsoft.ML;
using MlopsNotebooks.Tracking;

// The churn demo: two ML.NET trainers as two tracked runs, with step metrics as the models grow.
const int seed = 42;
var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 6000;

var ml = new MLContext(seed);

// The data: made up with a fixed seed, written as CSV and versioned (data/churn.csv.mlops is committed).
var csv = Path.Combine(AppContext.BaseDirectory, "../../../data/churn.csv");
Directory.CreateDirectory(Path.GetDirectoryName(csv)!);
using (var file = File.Create(csv))
{
    ml.Data.SaveAsText(ml.Data.LoadFromEnumerable(ChurnData.Generate(rows, seed)), file, separatorChar: ',', headerRow: true, schema: false);
}
var dataVersion = Mlops.Data.Add(csv);
Console.WriteLine($"data {dataVersion.Path}: {dataVersion.Hash}");
var data = ml.Data.LoadFromTextFile<Customer>(csv, separatorChar: ',', hasHeader: true);
var split = ml.Data.TrainTestSplit(data, testFraction: 0.25, seed: seed);
var features = ml.Transforms.Categorical.OneHotEncoding([new("ContractKey", "Contract"), new("InternetKey", "Internet")])
    .Append(ml.Transforms.Concatenate("Features", "TenureMonths", "MonthlyCharges", "SupportCalls", "SeniorCitizen", "ContractKey", "InternetKey"))
    .Append(ml.Transforms.NormalizeMinMax("Features"));

Mlops.SetExperiment("churn-demo");

// Each step trains a bigger model (more trees, more passes) and logs how it scores on the held-out customers.
Track("fasttree", new() { ["trainer"] = "FastTree", ["leaves"] = 16, ["learning_rate"] = 0.1 }, steps: 8,
    step => ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: 16, numberOfTrees: 10 * step, learningRate: 0.1));
Track("sdca", new() { ["trainer"] = "SdcaLogisticRegression", ["l2"] = 0.001 }, steps: 8,
    step => ml.BinaryClassification.Trainers.SdcaLogisticRegression(l2Regularization: 0.001f, maximumNumberOfIterations: 2 * step));

// The better of the two becomes the next version of the "churn" model, with the alias candidate.
var best = Mlops.SearchRuns(orderBy: "metrics.auc DESC", maxResults: 1)[0];
var version = Mlops.Models.Register(best.RunId, "churn", alias: "candidate");
Console.WriteLine($"registered {version} (candidate) from run {best.RunId[..8]} {best.Name}: auc {best.Metrics["auc"].Value:0.0000}");

void Track(string name, Dictionary<string, object?> parameters, int steps, Func<int, IEstimator<ITransformer>> trainer)
{
    using var run = Mlops.StartRun(name);
    Mlops.Data.Use(csv);
    Mlops.LogParams(parameters);
    Mlops.LogParams(new Dictionary<string, object?> { ["rows"] = rows, ["seed"] = seed, ["steps"] = steps });
    ITransformer? model = null;
    for (var step = 1; step <= steps; step++)
    {
        model = features.Append(trainer(step)).Fit(split.TrainSet);
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(split.TestSet));
        Mlops.LogMetrics(new Dictionary<string, double>
        {
            ["auc"] = metrics.AreaUnderRocCurve,
            ["f1"] = metrics.F1Score,
            ["accuracy"] = metrics.Accuracy,
            ["log_loss"] = metrics.LogLoss,
        }, step);
    }
    var file = Path.Combine(Path.GetTempPath(), $"churn-{name}-{Environment.ProcessId}.zip");
    ml.Model.Save(model, split.TrainSet.Schema, file);
    Mlops.LogArtifact(file, "model/model.zip");
    File.Delete(file);
    Console.WriteLine($"run {run.RunId[..8]} {name}: {steps} steps logged");
}
