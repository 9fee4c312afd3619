using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlopsNotebooks.Sweeps;
using MlopsNotebooks.Tracking;

// The sweep benchmark (issue 16). For each data set, one searcher at a time with the same time budget: our TPE and
// random search through the real sweep (Mlops.Sweep with CrossValidation over the catalog's binary trainers, on a
// SQLite store in a temporary folder), then Optuna's TPE over scikit-learn's HistGradientBoostingClassifier and
// LogisticRegression. All three score a trial by the mean AUC over the same 5 folds (ML.NET's split, written into the
// CSV that Python reads). Prints a table, writes results/sweep.json and results/sweep-curves.html (best AUC so far
// against seconds, one chart per data set), and the time of one TPE suggestion after 1,000 trials.
// Usage: SweepBench [--budget SECONDS] [--results FOLDER]   (default 120 s, bench/results)
var invariant = CultureInfo.InvariantCulture;
var budget = 120;
var results = Path.Combine("bench", "results");
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--budget" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, invariant, out var seconds) && seconds is >= 1 and <= 86_400:
            budget = seconds;
            i++;
            break;
        case "--results" when i + 1 < args.Length:
            results = args[++i];
            break;
        default:
            Console.Error.WriteLine($"SweepBench: '{args[i]}' is not understood. Usage: SweepBench [--budget SECONDS (1 to 86400)] [--results FOLDER]");
            return 2;
    }
}
const int folds = 5;
const int seed = 1;
Directory.CreateDirectory(results);
var work = Directory.CreateTempSubdirectory("mlops-sweep-bench-").FullName;
try
{
    var suggest = SuggestTime.AfterTrials(1000);
    Console.WriteLine($"TPE suggestion after 1,000 trials (catalog's binary space): median {suggest.Median:0.0} ms, slowest {suggest.Slowest:0.0} ms of {suggest.Calls}");

    var reports = new List<DataSetReport>();
    foreach (var data in new[] { DataSets.Churn(), DataSets.Credit() })
    {
        var ml = new MLContext(seed);
        var view = BenchData.ToDataView(ml, data);
        var csv = Path.Combine(work, data.Name + ".csv");
        BenchData.WriteCsv(data, BenchData.Folds(ml, view, folds, seed), csv);
        Console.WriteLine($"\n{data.Name}: {data.Rows.Count:N0} rows, {data.Rows.Count(r => r.Label) * 100.0 / data.Rows.Count:0.0}% positive; {budget} s per searcher");

        var searches = new List<Search>
        {
            Searchers.Ours(ml, view, data, new TpeTuner(), budget, folds, seed, work),
            Searchers.Ours(ml, view, data, new RandomTuner(), budget, folds, seed, work),
            Searchers.Optuna(data, csv, budget, folds, seed),
        };
        reports.Add(new DataSetReport(data.Name, data.Rows.Count, searches));
    }

    Report.Print(reports, budget);
    File.WriteAllText(Path.Combine(results, "sweep.json"), JsonSerializer.Serialize(new { budget, folds, suggest, reports }, new JsonSerializerOptions { WriteIndented = true }));
    File.WriteAllText(Path.Combine(results, "sweep-curves.html"), Report.Curves(reports, budget));
    Console.WriteLine($"\nwrote {Path.Combine(results, "sweep.json")} and {Path.Combine(results, "sweep-curves.html")}");
    return 0;
}
finally
{
    Directory.Delete(work, recursive: true);
}

/// <summary>One finished trial: when it ended (seconds since its search started), its mean AUC and its trainer.</summary>
internal sealed record TrialPoint(double Seconds, double Auc, string Trainer);

/// <summary>One searcher's run on one data set.</summary>
internal sealed record Search(string Searcher, IReadOnlyList<TrialPoint> Trials)
{
    public TrialPoint? BestTrial => Trials.Aggregate((TrialPoint?)null, (best, t) => best is null || t.Auc > best.Auc ? t : best);

    /// <summary>The first time the best AUC so far reached <paramref name="auc"/>, or null if it never did.</summary>
    public double? TimeToReach(double auc) => Trials.FirstOrDefault(t => t.Auc >= auc)?.Seconds;
}

internal sealed record DataSetReport(string DataSet, int Rows, IReadOnlyList<Search> Searches);

/// <summary>The featurized view both sides learn from, and the folds they share.</summary>
internal static class BenchData
{
    private sealed class Row
    {
        public float[] Numbers { get; set; } = [];
        public string[] Categories { get; set; } = [];
        public bool Label { get; set; }
        public float Index { get; set; }
    }

    public static IDataView ToDataView(MLContext ml, DataSet data)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Numbers)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, data.NumberColumns.Length);
        schema[nameof(Row.Categories)].ColumnType = new VectorDataViewType(TextDataViewType.Instance, data.CategoryColumns.Length);
        var rows = data.Rows.Select((r, i) => new Row { Numbers = r.Numbers, Categories = r.Categories, Label = r.Label, Index = i }).ToList();
        return ml.Data.Cache(ml.Data.LoadFromEnumerable(rows, schema));
    }

    /// <summary>One-hot categories beside the numbers, scaled to [0, 1]: what scikit-learn's side does too.</summary>
    public static IEstimator<ITransformer> Features(MLContext ml) =>
        ml.Transforms.Categorical.OneHotEncoding("CategoryKeys", nameof(Row.Categories))
            .Append(ml.Transforms.Concatenate(CrossValidation.FeatureColumn, nameof(Row.Numbers), "CategoryKeys"))
            .Append(ml.Transforms.NormalizeMinMax(CrossValidation.FeatureColumn));

    /// <summary>Each row's fold as CrossValidation splits the view (ML.NET's split with the same seed).</summary>
    public static int[] Folds(MLContext ml, IDataView view, int folds, int seed)
    {
        var fold = new int[view.GetRowCount() ?? throw new InvalidOperationException("The view has no row count.")];
        var splits = ml.Data.CrossValidationSplit(view, folds, seed: seed);
        for (var f = 0; f < splits.Count; f++)
        {
            foreach (var index in splits[f].TestSet.GetColumn<float>(nameof(Row.Index)))
            {
                fold[(int)index] = f;
            }
        }
        return fold;
    }

    /// <summary>The rows as CSV for Python: the numbers written to round-trip, the label as 0 or 1, the fold.</summary>
    public static void WriteCsv(DataSet data, int[] folds, string path)
    {
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(string.Join(',', data.NumberColumns.Concat(data.CategoryColumns).Append("Label").Append("Fold")));
        for (var i = 0; i < data.Rows.Count; i++)
        {
            var row = data.Rows[i];
            text.AppendLine(string.Join(',', row.Numbers.Select(n => n.ToString("R", invariant)).Concat(row.Categories)
                .Append(row.Label ? "1" : "0").Append(folds[i].ToString(invariant))));
        }
        File.WriteAllText(path, text.ToString());
    }
}

internal static class Searchers
{
    /// <summary>Our sweep as a user runs it, with a clock on each trial's end.</summary>
    public static Search Ours(MLContext ml, IDataView view, DataSet data, ITuner tuner, int budget, int folds, int seed, string work)
    {
        var evaluation = new Timed(new CrossValidation(ml, view, BenchData.Features(ml), MlTask.BinaryClassification, "auc", folds, seed: seed));
        using var session = new MlopsSession(trackingUri: Path.Combine(work, "sweeps.db"));
        using (MlopsSession.Use(session))
        {
            evaluation.Clock.Start();
            var result = Mlops.Sweep(SearchSpace.Trainers(MlTask.BinaryClassification), evaluation, new SweepOptions
            {
                Name = $"{data.Name}-{tuner.Name}",
                Experiment = "sweep-bench",
                Metric = "auc",
                Budget = TimeSpan.FromSeconds(budget),
                Tuner = tuner,
                Seed = seed,
            });
            var failed = result.Trials.Count(t => t.State == TrialState.Failed);
            Console.WriteLine($"  {tuner.Name,-6}: {result.Trials.Count} trials ({failed} failed){(failed > 0 ? ": " + result.Trials.First(t => t.State == TrialState.Failed).Note : "")}");
        }
        return new Search(tuner.Name == "tpe" ? "our TPE" : "our random", evaluation.Points);
    }

    private sealed class Timed(ISweepEvaluation inner) : ISweepEvaluation
    {
        public Stopwatch Clock { get; } = new();

        public List<TrialPoint> Points { get; } = [];

        public double Evaluate(Trial trial)
        {
            var auc = inner.Evaluate(trial);
            Points.Add(new TrialPoint(Clock.Elapsed.TotalSeconds, auc, trial.Trainer ?? ""));
            return auc;
        }
    }

    /// <summary>Optuna's TPE over scikit-learn, by bench/Sweep/optuna_sweep.py under Debian's Python.</summary>
    public static Search Optuna(DataSet data, string csv, int budget, int folds, int seed)
    {
        var output = csv + ".optuna.json";
        var script = Path.Combine(AppContext.BaseDirectory, "optuna_sweep.py");
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList =
            {
                script, csv, "--budget", budget.ToString(CultureInfo.InvariantCulture), "--folds", folds.ToString(CultureInfo.InvariantCulture),
                "--seed", seed.ToString(CultureInfo.InvariantCulture), "--numbers", string.Join(',', data.NumberColumns),
                "--categories", string.Join(',', data.CategoryColumns), "--out", output,
            },
        };
        using var python = Process.Start(start)!;
        python.WaitForExit();
        if (python.ExitCode != 0)
        {
            throw new InvalidOperationException($"optuna_sweep.py exited with {python.ExitCode}.");
        }
        var trials = JsonSerializer.Deserialize<double[][]>(File.ReadAllText(output))!;
        var names = new[] { "HistGradientBoosting", "LogisticRegression" };
        Console.WriteLine($"  optuna: {trials.Length} trials");
        return new Search("Optuna TPE (sklearn)", trials.Select(t => new TrialPoint(t[0], t[1], names[(int)t[2]])).ToList());
    }
}

/// <summary>How long TPE takes to suggest after a long sweep: 1,000 trials over the catalog's binary space.</summary>
internal sealed record SuggestTime(double Median, double Slowest, int Calls)
{
    public static SuggestTime AfterTrials(int trials)
    {
        var space = SearchSpace.Trainers(MlTask.BinaryClassification);
        var random = new Random(3);
        var history = new List<TrialResult>(trials);
        for (var n = 0; n < trials; n++)
        {
            var values = new RandomTuner().Suggest(space, history, Direction.Maximize, random);
            history.Add(new TrialResult(n, values, TrialState.Complete, 0.7 + 0.2 * random.NextDouble(), []));
        }
        var tuner = new TpeTuner();
        tuner.Suggest(space, history, Direction.Maximize, new Random(0));
        var times = Enumerable.Range(1, 30).Select(call =>
        {
            var clock = Stopwatch.StartNew();
            tuner.Suggest(space, history, Direction.Maximize, new Random(call));
            return clock.Elapsed.TotalMilliseconds;
        }).Order().ToList();
        return new SuggestTime(times[times.Count / 2], times[^1], times.Count);
    }
}
