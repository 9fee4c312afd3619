using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Monitoring.Statistics;

// Exact drift of a current window against a reference, every statistic on every column it fits, both cores.
// Usage:
//   DriftBench generate FOLDER REFERENCE_ROWS CURRENT_ROWS NUMERICAL CATEGORICAL
//       writes ref-<c>.f8 and cur-<c>.f8 (raw little-endian float64; a categorical column as its category's index) and
//       columns.json; half the columns of each kind shifted, by growing amounts
//   DriftBench exact FOLDER RESULTS_JSON
//       reads the files (not timed), then times ExactColumn.From of both samples and ExactDrift.Compare with each test
//       that fits, columns spread over the cores; writes every figure and prints seconds and memory as JSON
//   DriftBench reference FOLDER
//       writes FOLDER/reference-profile.json, the reference files' profile (what a deployed monitor loads)
//   DriftBench profile FOLDER RESULTS_JSON CURRENT_ROWS [BATCH_ROWS]
//       loads that profile, then streams CURRENT_ROWS rows generated on the fly in batches (the same rows generate
//       writes, and more) into a CurrentProfile, never holding more than one batch; times the adding and the
//       comparison (auto and every test each column fits), not the generating; writes every figure with its error
//       bound and prints seconds, rows/s and memory as JSON
var verb = args[0];
var folder = args[1];
var invariant = CultureInfo.InvariantCulture;

string[] numericalTests = [DriftTests.KolmogorovSmirnov, DriftTests.Wasserstein, DriftTests.JensenShannon, DriftTests.Psi];
string[] categoricalTests = [DriftTests.ChiSquare, DriftTests.JensenShannon, DriftTests.Psi];

if (verb == "generate")
{
    int referenceRows = int.Parse(args[2], invariant), currentRows = int.Parse(args[3], invariant);
    int numerical = int.Parse(args[4], invariant), categorical = int.Parse(args[5], invariant);
    Directory.CreateDirectory(folder);
    var kinds = new List<string>();
    Parallel.For(0, numerical + categorical, c =>
    {
        var random = new Random(c);
        var isNumerical = c < numerical;
        Write(Path.Combine(folder, $"ref-{c}.f8"), Column(random, referenceRows, isNumerical, 0));
        Write(Path.Combine(folder, $"cur-{c}.f8"), Column(random, currentRows, isNumerical, Shift(c, numerical)));
    });
    for (var c = 0; c < numerical + categorical; c++)
    {
        kinds.Add(c < numerical ? "numerical" : "categorical");
    }
    File.WriteAllText(Path.Combine(folder, "columns.json"), JsonSerializer.Serialize(kinds));
    return 0;
}

var columnKinds = JsonSerializer.Deserialize<List<string>>(File.ReadAllText(Path.Combine(folder, "columns.json")))!;
var figuresJson = new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

if (verb == "reference")
{
    var whole = Enumerable.Range(0, columnKinds.Count).Select(c => Read(Path.Combine(folder, $"ref-{c}.f8"), $"c{c}", columnKinds[c]));
    File.WriteAllText(Path.Combine(folder, Reference.ProfileFile), ReferenceProfiles.ToJson(Reference.FromData(new DataColumns(whole)).Profile));
    return 0;
}

if (verb == "profile")
{
    return Profile(folder, args[2], long.Parse(args[3], invariant), args.Length > 4 ? int.Parse(args[4], invariant) : 65_536);
}

if (verb != "exact")
{
    Console.Error.WriteLine($"DriftBench: unknown mode {verb} (generate, exact, reference or profile).");
    return 2;
}

var reference = new DataColumn[columnKinds.Count];
var current = new DataColumn[columnKinds.Count];
for (var c = 0; c < columnKinds.Count; c++)
{
    reference[c] = Read(Path.Combine(folder, $"ref-{c}.f8"), $"c{c}", columnKinds[c]);
    current[c] = Read(Path.Combine(folder, $"cur-{c}.f8"), $"c{c}", columnKinds[c]);
}
GC.Collect();
GC.WaitForPendingFinalizers();
var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

var clock = Stopwatch.StartNew();
var results = new ColumnDrift[columnKinds.Count][];
// Columns sorted largest work first so that the two cores finish together.
Parallel.ForEach(Enumerable.Range(0, columnKinds.Count).OrderBy(c => columnKinds[c] == "numerical" ? 0 : 1),
    new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c =>
    {
        var r = ExactColumn.From(reference[c]);
        var k = ExactColumn.From(current[c]);
        var tests = r.Kind == ColumnKind.Numerical ? numericalTests : categoricalTests;
        results[c] = tests.Select(test => ExactDrift.Compare(r, k, new DriftOptions { Test = test })).ToArray();
    });
var seconds = clock.Elapsed.TotalSeconds;

var figures = new Dictionary<string, double?>();
for (var c = 0; c < results.Length; c++)
{
    foreach (var drift in results[c])
    {
        figures[$"{c}/{drift.Test}/statistic"] = drift.Statistic;
        if (drift.PValue is { } p)
        {
            figures[$"{c}/{drift.Test}/p"] = p;
        }
    }
}
File.WriteAllText(args[2], JsonSerializer.Serialize(figures, figuresJson));
var process = Process.GetCurrentProcess();
Console.WriteLine(JsonSerializer.Serialize(new
{
    seconds,
    gcAllocatedMegabytes = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1e6,
    gcHeapBeforeMegabytes = heapBefore / 1e6,
    gcHeapPeakMegabytes = GC.GetGCMemoryInfo(GCKind.Any).HeapSizeBytes / 1e6,
    processPeakMegabytes = process.PeakWorkingSet64 / 1e6,
    cores = Environment.ProcessorCount,
}));
return 0;

int Profile(string folder, string resultsFile, long rows, int batchRows)
{
    var reference = new Reference { Profile = ReferenceProfiles.FromJson(File.ReadAllText(Path.Combine(folder, Reference.ProfileFile)), "the reference profile") };
    var numerical = columnKinds.Count(k => k == "numerical");
    var referenceRows = (int)(new FileInfo(Path.Combine(folder, "ref-0.f8")).Length / sizeof(double));
    // Each column's generator as generate left it after the reference rows, so the first rows are the files' current rows.
    var randoms = Enumerable.Range(0, columnKinds.Count).Select(c =>
    {
        var random = new Random(c);
        Column(random, referenceRows, c < numerical, 0);
        return random;
    }).ToArray();
    var categoryNames = Enumerable.Range(0, 64).Select(i => $"category-{i}").ToArray();
    var numbers = columnKinds.Select(_ => new double[batchRows]).ToArray();
    var texts = columnKinds.Select(_ => new string?[batchRows]).ToArray();
    GC.Collect();
    var process = Process.GetCurrentProcess();
    var startMegabytes = process.WorkingSet64 / 1e6;
    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    double heapPeak = 0;

    var current = new CurrentProfile(reference.Profile);
    Stopwatch generating = new(), adding = new();
    for (long done = 0; done < rows; done += batchRows)
    {
        var size = (int)Math.Min(batchRows, rows - done);
        generating.Start();
        if (size < batchRows)
        {
            numbers = Array.ConvertAll(numbers, _ => new double[size]);
            texts = Array.ConvertAll(texts, _ => new string?[size]);
        }
        Parallel.For(0, columnKinds.Count, c =>
        {
            Fill(randoms[c], numbers[c], c < numerical, Shift(c, numerical));
            if (c >= numerical)
            {
                for (var i = 0; i < size; i++)
                {
                    texts[c][i] = categoryNames[(int)numbers[c][i]];
                }
            }
        });
        var batch = new DataColumns(Enumerable.Range(0, columnKinds.Count).Select(c =>
            c < numerical ? DataColumn.Numerical($"c{c}", numbers[c]) : DataColumn.Categorical($"c{c}", texts[c])));
        generating.Stop();
        adding.Start();
        current.Add(batch);
        adding.Stop();
        heapPeak = Math.Max(heapPeak, GC.GetTotalMemory(forceFullCollection: false));
    }

    var comparing = Stopwatch.StartNew();
    var numericalColumns = Enumerable.Range(0, numerical).Select(c => $"c{c}").ToList();
    var categoricalColumns = Enumerable.Range(numerical, columnKinds.Count - numerical).Select(c => $"c{c}").ToList();
    var reports = new List<DriftReport> { DriftAnalysis.Compare(reference, current, new DriftOptions { Mode = DriftMode.Profile }) };
    reports.AddRange(numericalTests.Select(test => DriftAnalysis.Compare(reference, current, new DriftOptions { Mode = DriftMode.Profile, Test = test, Columns = numericalColumns })));
    reports.AddRange(categoricalTests.Select(test => DriftAnalysis.Compare(reference, current, new DriftOptions { Mode = DriftMode.Profile, Test = test, Columns = categoricalColumns })));
    comparing.Stop();

    // Each figure with the range its stated bound allows (a p-value's from its statistic's); auto's figures repeat a named test's.
    var figures = new Dictionary<string, double?>();
    foreach (var drift in reports.Skip(1).SelectMany(r => r.Columns))
    {
        var key = $"{drift.Column[1..]}/{drift.Test}";
        var (statistic, bound) = (drift.Statistic!.Value, drift.ErrorBound ?? double.NaN);
        figures[$"{key}/statistic"] = statistic;
        figures[$"{key}/statistic/bound"] = bound;
        if (drift.PValue is { } p)
        {
            figures[$"{key}/p"] = p;
            var (n1, n2) = (drift.ReferenceCount, drift.CurrentCount);
            figures[$"{key}/p/low"] = drift.Test == DriftTests.KolmogorovSmirnov ? DriftStatistics.KolmogorovSmirnov(Math.Min(1, statistic + bound), n1, n2).PValue : p - bound;
            figures[$"{key}/p/high"] = drift.Test == DriftTests.KolmogorovSmirnov ? DriftStatistics.KolmogorovSmirnov(Math.Max(0, statistic - bound), n1, n2).PValue : p + bound;
        }
    }
    File.WriteAllText(resultsFile, JsonSerializer.Serialize(figures, figuresJson));
    process.Refresh();
    var seconds = adding.Elapsed.TotalSeconds + comparing.Elapsed.TotalSeconds;
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        rows,
        batchRows,
        seconds,
        addingSeconds = adding.Elapsed.TotalSeconds,
        comparingSeconds = comparing.Elapsed.TotalSeconds,
        generatingSeconds = generating.Elapsed.TotalSeconds,
        rowsPerSecond = rows / seconds,
        autoTests = reports[0].Columns.GroupBy(c => c.Test).ToDictionary(g => g.Key ?? "none", g => g.Count()),
        autoDrifted = reports[0].Columns.Count(c => c.Drifted),
        gcAllocatedMegabytes = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1e6,
        gcHeapPeakMegabytes = heapPeak / 1e6,
        processStartMegabytes = startMegabytes,
        processPeakMegabytes = process.PeakWorkingSet64 / 1e6,
        cores = Environment.ProcessorCount,
    }));
    return 0;
}

// Half the columns of each kind shifted, by growing amounts.
static double Shift(int c, int numerical)
{
    var index = c < numerical ? c : c - numerical;
    return index % 2 == 1 ? 0.02 * (index + 1) : 0;
}

static double[] Column(Random random, int rows, bool numerical, double shift)
{
    var values = new double[rows];
    Fill(random, values, numerical, shift);
    return values;
}

static void Fill(Random random, Span<double> values, bool numerical, double shift)
{
    for (var i = 0; i < values.Length; i++)
    {
        if (numerical)
        {
            var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            values[i] = 50 + 10 * (normal + shift);
        }
        else
        {
            // Eight categories with decreasing weights; a shift moves weight towards the last ones.
            var u = Math.Pow(random.NextDouble(), 1 + shift * 4);
            values[i] = Math.Floor(8 * (1 - u));
        }
    }
}

static void Write(string path, double[] values) => File.WriteAllBytes(path, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

static DataColumn Read(string path, string name, string kind)
{
    var values = MemoryMarshal.Cast<byte, double>(File.ReadAllBytes(path)).ToArray();
    if (kind == "numerical")
    {
        return DataColumn.Numerical(name, values);
    }
    var names = Enumerable.Range(0, 64).Select(i => $"category-{i}").ToArray();
    return DataColumn.Categorical(name, Array.ConvertAll(values, v => (string?)names[(int)v]));
}
