using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

// Rows per second of a batch scored in process: the same model.zip the server loads, the same rows bench/serving.sh
// posts, each pass one Transform with every output column read, on as many threads as wrk uses, for the same seconds.
// The rows are parsed and cached in memory before the clock starts, so this is the ceiling the server's
// POST /predict of a batch is held against (JSON in and out, HTTP and the container are what it adds).
// Usage: ServingBench MODEL_ZIP ROWS_JSON [seconds] [threads]   prints the rows per second
var modelPath = args[0];
var rowsPath = args[1];
var seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 10;
var threads = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2;

var ml = new MLContext(seed: 0);
var model = ml.Model.Load(modelPath, out var savedSchema);
using var json = JsonDocument.Parse(File.ReadAllBytes(rowsPath));
var rows = json.RootElement.EnumerateArray().ToList();

// The posted columns, typed as the model was saved with them; written as a tab-separated file so ML.NET's own loader
// builds the view (a label the model was saved with is not posted, and is left out as the server leaves it out).
var names = rows[0].EnumerateObject().Select(p => p.Name).ToList();
var columns = names.Select((name, i) => new TextLoader.Column(name, Kind(savedSchema[name].Type), i)).ToArray();
var tsv = Path.GetTempFileName();
try
{
    File.WriteAllLines(tsv, rows.Select(row => string.Join('\t', names.Select(name => Text(row.GetProperty(name))))));
    var input = ml.Data.Cache(ml.Data.LoadFromTextFile(tsv, columns, separatorChar: '\t'));
    var outputs = model.GetOutputSchema(input.Schema).Where(c => !c.IsHidden && input.Schema.GetColumnOrNull(c.Name) is null).ToList();

    Score(model, input, outputs); // warm: the cache filled, the trees' code jitted
    long scored = 0;
    var clock = Stopwatch.StartNew();
    var until = TimeSpan.FromSeconds(seconds);
    Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
    {
        long mine = 0;
        while (clock.Elapsed < until)
        {
            mine += Score(model, input, outputs);
        }
        Interlocked.Add(ref scored, mine);
    });
    Console.WriteLine((scored / clock.Elapsed.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture));
}
finally
{
    File.Delete(tsv);
}

static long Score(ITransformer model, IDataView input, List<DataViewSchema.Column> outputs)
{
    var view = model.Transform(input);
    using var cursor = view.GetRowCursor(outputs.Select(c => view.Schema[c.Name]));
    var readers = outputs.Select(c => Reader(cursor, view.Schema[c.Name])).ToList();
    long count = 0;
    while (cursor.MoveNext())
    {
        foreach (var read in readers)
        {
            read();
        }
        count++;
    }
    return count;
}

// Reads a column's value the way a server answering it must, whatever its type.
static Action Reader(DataViewRowCursor cursor, DataViewSchema.Column column) => column.Type.RawType switch
{
    var t when t == typeof(float) => Read<float>(cursor, column),
    var t when t == typeof(double) => Read<double>(cursor, column),
    var t when t == typeof(bool) => Read<bool>(cursor, column),
    var t when t == typeof(int) => Read<int>(cursor, column),
    var t when t == typeof(long) => Read<long>(cursor, column),
    var t when t == typeof(uint) => Read<uint>(cursor, column),
    var t when t == typeof(ReadOnlyMemory<char>) => Read<ReadOnlyMemory<char>>(cursor, column),
    var t when t == typeof(VBuffer<float>) => Read<VBuffer<float>>(cursor, column),
    var t => throw new NotSupportedException($"The output column {column.Name} is a {t.Name}, which this bench does not read."),
};

static Action Read<T>(DataViewRowCursor cursor, DataViewSchema.Column column)
{
    var getter = cursor.GetGetter<T>(column);
    T value = default!;
    return () => getter(ref value);
}

static DataKind Kind(DataViewType type) => type.RawType switch
{
    var t when t == typeof(float) => DataKind.Single,
    var t when t == typeof(double) => DataKind.Double,
    var t when t == typeof(bool) => DataKind.Boolean,
    var t when t == typeof(int) => DataKind.Int32,
    var t when t == typeof(long) => DataKind.Int64,
    var t when t == typeof(ReadOnlyMemory<char>) => DataKind.String,
    var t => throw new NotSupportedException($"An input column of type {t.Name} is not something this bench loads."),
};

static string Text(JsonElement value) => value.ValueKind switch
{
    JsonValueKind.String => value.GetString()!,
    JsonValueKind.True => "true",
    JsonValueKind.False => "false",
    _ => value.GetRawText(),
};
