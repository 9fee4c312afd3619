#:package Microsoft.ML@5.0.1
#:package Microsoft.ML.FastTree@5.0.1
#:package Microsoft.ML.LightGbm@5.0.1
#:package MlopsNotebooks@0.1.0-preview.1
#:property PublishAot=false
#:property ManagePackageVersionsCentrally=false
#:property TreatWarningsAsErrors=false
// Converted from churn-train.ipynb by `mlops notebook convert`. Run it with `dotnet run churn-train.cs` (parameters as arguments: -- name=value ...).

using System.Collections;
using System.Text;
using MlopsNotebooks.Tracking;
using System.IO;
using Microsoft.ML;
using Microsoft.ML.Data;

// # Churn: one trial of the sweep
//
// Trains ONE model on the churn data (generated as `churn.ipynb` generates it, fewer rows): the trainer and its
// hyperparameters are parameters, so `mlops sweep --space churn-sweep.yaml --notebook churn-train.ipynb` runs it once per
// trial with the trial's values. Each step trains a bigger model (more trees, more passes) and logs `auc` on held-out
// customers, so the median pruner has steps to compare; the model is logged, so the best trial's can be registered.
// Runs alone too: `mlops notebook run notebooks/churn-train.ipynb -p trainer=LightGbm`.

// parameters
int rows = Parameter<int>("rows", 2000);
int seed = Parameter<int>("seed", 42);
int steps = Parameter<int>("steps", 4);
string trainer = Parameter<string>("trainer", "FastTree");
// The trainers' hyperparameters, by ML.NET's argument names (as a sweep's space names them).
int numberOfLeaves = Parameter<int>("numberOfLeaves", 16);
int numberOfTrees = Parameter<int>("numberOfTrees", 40);
int numberOfIterations = Parameter<int>("numberOfIterations", 40);
int minimumExampleCountPerLeaf = Parameter<int>("minimumExampleCountPerLeaf", 10);
double featureFraction = Parameter<double>("featureFraction", 1.0);
double learningRate = Parameter<double>("learningRate", 0.1);
double l1Regularization = Parameter<double>("l1Regularization", 0.0);
double l2Regularization = Parameter<double>("l2Regularization", 0.001);

// Churn grows with charges and support calls, falls with tenure and longer contracts, plus noise.
static List<Customer> Generate(int count, int seed)
{
    var random = new Random(seed);
    string[] contracts = ["month-to-month", "one-year", "two-year"];
    string[] internet = ["none", "dsl", "fiber"];
    int Pick(double[] weights)
    {
        var u = random.NextDouble();
        for (var i = 0; i < weights.Length; i++) { if ((u -= weights[i]) < 0) return i; }
        return weights.Length - 1;
    }
    var customers = new List<Customer>(count);
    for (var i = 0; i < count; i++)
    {
        var contract = contracts[Pick([0.55, 0.25, 0.20])];
        var service = internet[Pick([0.2, 0.35, 0.45])];
        var tenure = (float)Math.Round(random.NextDouble() * 72);
        var charges = (float)Math.Round(20 + random.NextDouble() * 60 + (service == "fiber" ? 30 : service == "dsl" ? 10 : 0), 2);
        var (limit, calls, p) = (Math.Exp(-1.5), 0, 1.0);
        while ((p *= random.NextDouble()) > limit) { calls++; }
        var senior = random.NextDouble() < 0.16 ? 1f : 0f;
        var noise = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var logit = -1.2 - 0.045 * tenure + 0.025 * (charges - 60) + 0.45 * calls + 0.4 * senior
            + (contract == "month-to-month" ? 1.3 : contract == "one-year" ? -0.2 : -1.1) + (service == "fiber" ? 0.5 : 0) + noise * 0.6;
        customers.Add(new Customer { TenureMonths = tenure, MonthlyCharges = charges, SupportCalls = calls, Contract = contract,
            Internet = service, SeniorCitizen = senior, Churned = random.NextDouble() < 1 / (1 + Math.Exp(-logit)) });
    }
    return customers;
}

var ml = new MLContext(seed);
var data = ml.Data.LoadFromEnumerable(Generate(rows, seed));
var split = ml.Data.TrainTestSplit(data, testFraction: 0.25, seed: seed);
var features = ml.Transforms.Categorical.OneHotEncoding([new("ContractKey", "Contract"), new("InternetKey", "Internet")])
    .Append(ml.Transforms.Concatenate("Features", "TenureMonths", "MonthlyCharges", "SupportCalls", "SeniorCitizen", "ContractKey", "InternetKey"))
    .Append(ml.Transforms.NormalizeMinMax("Features"));

// The model of a step: the trees (or boosting rounds) grow to the full number at the last step; SDCA and L-BFGS get
// more passes and a tighter tolerance.
int Grown(int full, int step) => Math.Max(1, full * step / steps);
IEstimator<ITransformer> Trainer(int step) => trainer switch
{
    "FastTree" => ml.BinaryClassification.Trainers.FastTree(new Microsoft.ML.Trainers.FastTree.FastTreeBinaryTrainer.Options
    {
        NumberOfLeaves = numberOfLeaves, NumberOfTrees = Grown(numberOfTrees, step), MinimumExampleCountPerLeaf = minimumExampleCountPerLeaf,
        FeatureFraction = featureFraction, LearningRate = learningRate,
    }),
    "FastForest" => ml.BinaryClassification.Trainers.FastForest(new Microsoft.ML.Trainers.FastTree.FastForestBinaryTrainer.Options
    {
        NumberOfLeaves = numberOfLeaves, NumberOfTrees = Grown(numberOfTrees, step), MinimumExampleCountPerLeaf = minimumExampleCountPerLeaf,
        FeatureFraction = featureFraction,
    }),
    "LightGbm" => ml.BinaryClassification.Trainers.LightGbm(new Microsoft.ML.Trainers.LightGbm.LightGbmBinaryTrainer.Options
    {
        NumberOfLeaves = numberOfLeaves, NumberOfIterations = Grown(numberOfIterations, step), MinimumExampleCountPerLeaf = minimumExampleCountPerLeaf,
        LearningRate = learningRate, Booster = new Microsoft.ML.Trainers.LightGbm.GradientBooster.Options
        {
            FeatureFraction = featureFraction, L1Regularization = l1Regularization, L2Regularization = l2Regularization,
        },
    }),
    "SdcaLogisticRegression" => ml.BinaryClassification.Trainers.SdcaLogisticRegression(l2Regularization: (float)l2Regularization,
        l1Regularization: (float)l1Regularization, maximumNumberOfIterations: 2 * step),
    "LbfgsLogisticRegression" => ml.BinaryClassification.Trainers.LbfgsLogisticRegression(l2Regularization: (float)l2Regularization,
        l1Regularization: (float)l1Regularization, optimizationTolerance: (float)Math.Pow(10, -step)),
    _ => throw new ArgumentException($"'{trainer}' is not a trainer here: FastTree, FastForest, LightGbm, SdcaLogisticRegression or LbfgsLogisticRegression."),
};

Mlops.SetExperiment("churn-sweep");

// In a sweep this run is the trial's (its params are the trial's values); alone it is a run of its own.
ITransformer model = null;
var auc = double.NaN;
using (var run = Mlops.StartRun(trainer))
{
    Mlops.LogParams(new Dictionary<string, object> { ["rows"] = rows, ["seed"] = seed, ["steps"] = steps });
    for (var step = 1; step <= steps; step++)
    {
        model = features.Append(Trainer(step)).Fit(split.TrainSet);
        var scored = model.Transform(split.TestSet);
        // FastForest scores without a probability: its AUC comes from the raw score.
        BinaryClassificationMetrics metrics = trainer == "FastForest" ? ml.BinaryClassification.EvaluateNonCalibrated(scored) : ml.BinaryClassification.Evaluate(scored);
        auc = metrics.AreaUnderRocCurve;
        Mlops.LogMetrics(new Dictionary<string, double> { ["auc"] = auc, ["f1"] = metrics.F1Score }, step);
    }
    var file = Path.Combine(Path.GetTempPath(), $"churn-{run.RunId}.zip");
    ml.Model.Save(model, split.TrainSet.Schema, file);
    Mlops.LogArtifact(file, "model/model.zip");   // what `mlops sweep best --register` registers
    File.Delete(file);
    Console.WriteLine($"{trainer}: auc {auc:0.0000}");
}

// A parameter: the argument name=value (`dotnet run app.cs -- rows=500`, `mlops validate -p rows=500`), else its default.
T Parameter<T>(string name, T fallback)
{
    var given = args.LastOrDefault(a => a.StartsWith(name + "=", StringComparison.Ordinal));
    if (given is null)
    {
        return fallback;
    }
    var text = given[(name.Length + 1)..];
    var type = Nullable.GetUnderlyingType(typeof(T));
    return type is not null && text == "null" ? default! : (T)System.Convert.ChangeType(text, type ?? typeof(T), System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class Customer
{
    [LoadColumn(0)] public float TenureMonths { get; set; }
    [LoadColumn(1)] public float MonthlyCharges { get; set; }
    [LoadColumn(2)] public float SupportCalls { get; set; }
    [LoadColumn(3)] public string Contract { get; set; } = "";
    [LoadColumn(4)] public string Internet { get; set; } = "";
    [LoadColumn(5)] public float SeniorCitizen { get; set; }
    [LoadColumn(6), ColumnName("Label")] public bool Churned { get; set; }
}
