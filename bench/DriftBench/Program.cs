using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using MlopsNotebooks.Monitoring;

// Exact drift of a current window against a reference, every statistic on every column it fits, both cores.
// Usage:
//   DriftBench generate FOLDER REFERENCE_ROWS CURRENT_ROWS NUMERICAL CATEGORICAL
//       writes ref-<c>.f8 and cur-<c>.f8 (raw little-endian float64; a categorical column as its category's index) and
//       columns.json; half the columns of each kind shifted, by growing amounts
//   DriftBench exact FOLDER RESULTS_JSON
//       reads the files (not timed), then times ExactColumn.From of both samples and ExactDrift.Compare with each test
//       that fits, columns spread over the cores; writes every figure and prints seconds and memory as JSON
// The lead's profile mode (10M rows streamed) is another verb here beside exact.
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
        var index = isNumerical ? c : c - numerical;
        var shifted = index % 2 == 1;
        var amount = shifted ? 0.02 * (index + 1) : 0;
        Write(Path.Combine(folder, $"ref-{c}.f8"), Column(random, referenceRows, isNumerical, 0));
        Write(Path.Combine(folder, $"cur-{c}.f8"), Column(random, currentRows, isNumerical, amount));
    });
    for (var c = 0; c < numerical + categorical; c++)
    {
        kinds.Add(c < numerical ? "numerical" : "categorical");
    }
    File.WriteAllText(Path.Combine(folder, "columns.json"), JsonSerializer.Serialize(kinds));
    return 0;
}

if (verb != "exact")
{
    Console.Error.WriteLine($"DriftBench: unknown mode {verb} (generate or exact).");
    return 2;
}

var columnKinds = JsonSerializer.Deserialize<List<string>>(File.ReadAllText(Path.Combine(folder, "columns.json")))!;
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
File.WriteAllText(args[2], JsonSerializer.Serialize(figures, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
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

static double[] Column(Random random, int rows, bool numerical, double shift)
{
    var values = new double[rows];
    for (var i = 0; i < rows; i++)
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
    return values;
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
