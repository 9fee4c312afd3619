using System.Globalization;
using System.Text.Json;

namespace MlopsNotebooks.Monitoring;

/// <summary>A predicted row by the request it came in and its place in it: what a label is sent back for.</summary>
public readonly record struct PredictionKey(string RequestId, int Row);

/// <summary>One logged prediction row: the request it came in (and its row there), when, which model, its inputs and outputs by column.</summary>
public sealed record LoggedPrediction(
    string RequestId,
    int Row,
    DateTimeOffset Time,
    string Model,
    int? Version,
    IReadOnlyDictionary<string, JsonElement> Inputs,
    IReadOnlyDictionary<string, JsonElement> Outputs)
{
    public PredictionKey Key => new(RequestId, Row);
}

/// <summary>The predictions that have a label, with their labels, row for row.</summary>
public sealed record LabeledPredictions(DataColumn Predictions, DataColumn Labels);

/// <summary>A window of the prediction log: the predictions in it, the labels that arrived for them, and what was skipped.</summary>
public sealed record PredictionWindow(
    IReadOnlyList<LoggedPrediction> Predictions,
    IReadOnlyDictionary<PredictionKey, JsonElement> Labels,
    IReadOnlyList<string> Notes)
{
    /// <summary>The inputs as columns, typed as the reference's columns are; a column absent from the log is absent here.</summary>
    public DataColumns InputColumns(ReferenceProfile reference) => InputColumns(reference, out _);

    /// <summary>
    /// The inputs as columns, typed as the reference's columns are (numbers: NaN when missing or not a number;
    /// categories: numbers and booleans as their JSON text), with a note per column for the values read as missing.
    /// </summary>
    public DataColumns InputColumns(ReferenceProfile reference, out IReadOnlyList<string> notes)
    {
        var said = new List<string>();
        var columns = reference.Columns
            .Where(c => Predictions.Any(p => p.Inputs.ContainsKey(c.Name)))
            .Select(c => Column(c.Name, c.Kind, Predictions.Select(p => p.Inputs.GetValueOrDefault(c.Name)).ToList(), said))
            .ToList();
        notes = said;
        return new DataColumns(columns);
    }

    /// <summary>An output of the model (its prediction: PredictedLabel, Score) as a column, or null when no row has it.</summary>
    public DataColumn? OutputColumn(string name, ColumnKind kind) => OutputColumn(name, kind, out _);

    public DataColumn? OutputColumn(string name, ColumnKind kind, out IReadOnlyList<string> notes)
    {
        var said = new List<string>();
        notes = said;
        return Predictions.Any(p => p.Outputs.ContainsKey(name))
            ? Column(name, kind, Predictions.Select(p => p.Outputs.GetValueOrDefault(name)).ToList(), said)
            : null;
    }

    /// <summary>
    /// The predictions that have a label, as two columns of one kind (the output <paramref name="prediction"/> and the
    /// labels, named <c>label</c>): what the model's metric on recent data is computed from. Null when no row has both.
    /// </summary>
    public LabeledPredictions? Labeled(string prediction, ColumnKind kind)
    {
        var pairs = Predictions
            .Where(p => p.Outputs.ContainsKey(prediction) && Labels.ContainsKey(p.Key))
            .Select(p => (Prediction: p.Outputs[prediction], Label: Labels[p.Key]))
            .ToList();
        if (pairs.Count == 0)
        {
            return null;
        }
        var ignored = new List<string>();
        return new LabeledPredictions(
            Column(prediction, kind, pairs.Select(p => p.Prediction).ToList(), ignored),
            Column("label", kind, pairs.Select(p => p.Label).ToList(), ignored));
    }

    private static DataColumn Column(string name, ColumnKind kind, List<JsonElement> values, List<string> notes)
    {
        if (kind == ColumnKind.Numerical)
        {
            var numbers = new double[values.Count];
            var missing = 0;
            for (var i = 0; i < values.Count; i++)
            {
                numbers[i] = values[i].ValueKind == JsonValueKind.Number && values[i].TryGetDouble(out var d) ? d : double.NaN;
                missing += double.IsNaN(numbers[i]) ? 1 : 0;
            }
            if (missing > 0)
            {
                notes.Add($"Column {name}: {missing} of {values.Count} rows have no number there (missing or not a number); they count as missing.");
            }
            return DataColumn.Numerical(name, numbers);
        }
        return DataColumn.Categorical(name, values.Select(v => v switch
        {
            { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null, // Undefined: the row has no such column
            { ValueKind: JsonValueKind.String } s => s.GetString(),
            var other => other.GetRawText(),
        }).ToArray());
    }
}

/// <summary>The prediction log on local disk: append-only JSON Lines files, rotated (the format: <see cref="PredictionLogWriter"/>).</summary>
public static class PredictionLog
{
    /// <summary>The longest line read; a longer one is no line of the log.</summary>
    private const int MaxLine = 16 * 1024 * 1024;

    /// <summary>
    /// A request id the log keeps as the client sent it: 1 to 128 characters from letters, digits and <c>. _ : -</c>,
    /// so that it can never break a header, a line or a file name.
    /// </summary>
    public static bool IsRequestId(string? id) =>
        id is { Length: > 0 and <= 128 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-');

    public static string NewRequestId() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// The rows predicted in [<paramref name="from"/>, <paramref name="to"/>) (either end open when null), with the labels
    /// that arrived for them. Reads line by line; files whose names put them wholly outside the window are not opened.
    /// Whatever is skipped (a cut last line, lines that are not the log's, a newer format, other files) is said in the
    /// window's notes.
    /// </summary>
    public static PredictionWindow Read(string folder, DateTimeOffset? from, DateTimeOffset? to)
    {
        if (!Directory.Exists(folder))
        {
            throw new NotFoundException($"There is no prediction log at {folder}.",
                "Give the folder the server logs to (mlops serve --log-predictions DIR, MLOPS_PREDICTION_LOG in the container).");
        }
        if (from > to)
        {
            throw new MlopsException($"The window starts ({PredictionLogFormat.Time(from.Value)}) after it ends ({PredictionLogFormat.Time(to!.Value)}).",
                "Give the earlier time first.");
        }
        var (files, others) = PredictionLogFormat.List(folder);
        var notes = new Notes();
        if (others.Count > 0)
        {
            notes.Add($"{others.Count} {(others.Count == 1 ? "entry" : "entries")} in the folder {(others.Count == 1 ? "is" : "are")} not the log's and {(others.Count == 1 ? "was" : "were")} skipped: {string.Join(", ", others.Take(3))}{(others.Count > 3 ? ", ..." : "")}.");
        }
        var predictions = new List<LoggedPrediction>();
        var wanted = new HashSet<PredictionKey>();
        foreach (var file in InWindow(files, LogFileKind.Predictions, from, to))
        {
            foreach (var (line, number) in Lines(file, notes))
            {
                if (PredictionLine(line, file, number, notes) is { } prediction && (from is null || prediction.Time >= from) && (to is null || prediction.Time < to))
                {
                    predictions.Add(prediction);
                    wanted.Add(prediction.Key);
                }
            }
        }
        var labels = new Dictionary<PredictionKey, JsonElement>();
        // A label is sent after its prediction, so files closed before the window starts hold none of its labels.
        foreach (var file in InWindow(files, LogFileKind.Feedback, from, to: null))
        {
            foreach (var (line, number) in Lines(file, notes))
            {
                if (FeedbackLine(line, file, number, notes) is var (key, label) && wanted.Contains(key))
                {
                    labels[key] = label; // a label sent again replaces the earlier one
                }
            }
        }
        return new PredictionWindow(predictions, labels, notes.Said());
    }

    /// <summary>
    /// The files of one kind that can hold rows of the window: a file's rows were written before the next file was
    /// opened, and at most <see cref="PredictionLogFormat.Lateness"/> before its own opening.
    /// </summary>
    private static IEnumerable<LogFile> InWindow(List<LogFile> all, LogFileKind kind, DateTimeOffset? from, DateTimeOffset? to)
    {
        var files = all.Where(f => f.Kind == kind).ToList();
        for (var i = 0; i < files.Count; i++)
        {
            var endedBefore = from is not null && i + 1 < files.Count && files[i + 1].Opened <= from;
            var startedAfter = to is not null && files[i].Opened >= to + PredictionLogFormat.Lateness;
            if (!endedBefore && !startedAfter)
            {
                yield return files[i];
            }
        }
    }

    private static LoggedPrediction? PredictionLine(ReadOnlyMemory<byte> line, LogFile file, int number, Notes notes)
    {
        using var document = Document(line, file, number, notes);
        if (document is null)
        {
            return null;
        }
        var root = document.RootElement.Clone();
        if (Key(root) is not { } key
            || Time(root) is not { } time
            || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String
            || !Version(root, out var version)
            || !root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("outputs", out var outputs) || outputs.ValueKind != JsonValueKind.Object)
        {
            notes.NotTheFormat(file, number);
            return null;
        }
        return new LoggedPrediction(key.RequestId, key.Row, time, model.GetString()!, version, Members(inputs), Members(outputs));
    }

    private static (PredictionKey Key, JsonElement Label)? FeedbackLine(ReadOnlyMemory<byte> line, LogFile file, int number, Notes notes)
    {
        using var document = Document(line, file, number, notes);
        if (document is null)
        {
            return null;
        }
        var root = document.RootElement;
        if (Key(root) is not { } key || Time(root) is null || !root.TryGetProperty("label", out var label))
        {
            notes.NotTheFormat(file, number);
            return null;
        }
        return (key, label.Clone());
    }

    /// <summary>The line as JSON of a format this reader knows, or null with a note.</summary>
    private static JsonDocument? Document(ReadOnlyMemory<byte> line, LogFile file, int number, Notes notes)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            notes.NotTheFormat(file, number);
            return null;
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("format", out var format) || !format.TryGetInt32(out var version) || version < 1)
        {
            document.Dispose();
            notes.NotTheFormat(file, number);
            return null;
        }
        if (version > PredictionLogFormat.Version)
        {
            document.Dispose();
            notes.Newer(file, version);
            return null;
        }
        return document;
    }

    private static PredictionKey? Key(JsonElement root) =>
        root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
        && root.TryGetProperty("row", out var row) && row.ValueKind == JsonValueKind.Number && row.TryGetInt32(out var index) && index >= 0
            ? new PredictionKey(id.GetString()!, index)
            : null;

    private static DateTimeOffset? Time(JsonElement root) =>
        root.TryGetProperty("time", out var time) && time.ValueKind == JsonValueKind.String
        && DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : null;

    private static bool Version(JsonElement root, out int? version)
    {
        version = null;
        if (!root.TryGetProperty("version", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (element.TryGetInt32(out var number))
        {
            version = number;
            return true;
        }
        return false;
    }

    private static Dictionary<string, JsonElement> Members(JsonElement element)
    {
        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in element.EnumerateObject())
        {
            members[member.Name] = member.Value;
        }
        return members;
    }

    /// <summary>
    /// The file's complete lines, read through a buffer (never the whole file as text), with their numbers from 1. A
    /// last line with no line end was cut by a crash: it is noted, not returned. So is a line too long to be the log's.
    /// </summary>
    private static IEnumerable<(ReadOnlyMemory<byte> Line, int Number)> Lines(LogFile file, Notes notes)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            notes.Add($"{file.Name} could not be read ({e.Message}) and was skipped.");
            yield break;
        }
        using (stream)
        {
            var buffer = new byte[64 * 1024];
            int start = 0, end = 0, number = 0;
            var skipping = false; // inside a line longer than MaxLine
            while (true)
            {
                var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    number++;
                    var line = new ReadOnlyMemory<byte>(buffer, start, newline);
                    start += newline + 1;
                    if (skipping)
                    {
                        skipping = false;
                        notes.NotTheFormat(file, number);
                    }
                    else
                    {
                        yield return (line, number);
                    }
                    continue;
                }
                if (start > 0)
                {
                    Array.Copy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length)
                {
                    if (buffer.Length >= MaxLine)
                    {
                        skipping = true;
                        end = 0;
                    }
                    else
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                }
                var read = stream.Read(buffer, end, buffer.Length - end);
                if (read == 0)
                {
                    if (end > 0 || skipping)
                    {
                        notes.Cut(file, number + 1);
                    }
                    yield break;
                }
                end += read;
            }
        }
    }

    /// <summary>What reading skipped, counted as it goes and said in words at the end.</summary>
    private sealed class Notes
    {
        private readonly List<string> _said = [];
        private readonly List<string> _cut = [];
        private int _bad;
        private string? _firstBad;
        private int _newer;
        private string? _firstNewer;
        private int _newest;

        public void Add(string note) => _said.Add(note);

        public void Cut(LogFile file, int line) => _cut.Add($"{file.Name}:{line}");

        public void NotTheFormat(LogFile file, int line)
        {
            _bad++;
            _firstBad ??= $"{file.Name}:{line}";
        }

        public void Newer(LogFile file, int version)
        {
            _newer++;
            _firstNewer ??= file.Name;
            _newest = Math.Max(_newest, version);
        }

        public IReadOnlyList<string> Said()
        {
            var said = new List<string>(_said);
            if (_cut.Count > 0)
            {
                said.Add($"{_cut.Count} cut last {(_cut.Count == 1 ? "line was" : "lines were")} skipped (a crash while writing): {string.Join(", ", _cut)}.");
            }
            if (_bad > 0)
            {
                said.Add($"{_bad} {(_bad == 1 ? "line is" : "lines are")} not JSON or not the log's format and {(_bad == 1 ? "was" : "were")} skipped; the first at {_firstBad}.");
            }
            if (_newer > 0)
            {
                said.Add($"{_newer} {(_newer == 1 ? "line is" : "lines are")} in a newer format ({_newest}, this reader knows {PredictionLogFormat.Version}) and {(_newer == 1 ? "was" : "were")} skipped, the first in {_firstNewer}; update the kit to read {(_newer == 1 ? "it" : "them")}.");
            }
            return said;
        }
    }
}
