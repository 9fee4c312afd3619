using System.Buffers;
using System.Text.Json;

namespace MlopsNotebooks.Monitoring;

/// <summary>Where a prediction log goes and how its files are cut; the defaults suit a server.</summary>
public sealed record PredictionLogOptions(string Folder)
{
    /// <summary>A file that would grow past this is closed and the line starts the next one.</summary>
    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>A file open this long is closed; the next line starts the next one.</summary>
    public TimeSpan MaxFileAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often buffered lines reach the file: what a crash can lose at most.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>One label sent back for a logged prediction: the request's id, the row in it, the true value.</summary>
public sealed record Feedback(string RequestId, int Row, JsonElement Label);

/// <summary>
/// Appends to a prediction log: a folder of JSON Lines files, append-only, rotated by size and by age.
/// <list type="bullet">
/// <item><c>predictions-&lt;UTC time opened, yyyyMMddTHHmmssfffZ&gt;-&lt;sequence&gt;.jsonl</c>, one line per predicted row:
/// <c>{"format":1,"id":"&lt;request id&gt;","row":0,"time":"2026-12-02T00:37:53.1234567Z","model":"churn","version":1,
/// "inputs":{"Tenure":12,"Plan":"basic"},"outputs":{"PredictedLabel":true,"Score":1.25}}</c>
/// (numbers as numbers, vectors as arrays, a value that has no JSON number such as NaN as null);</item>
/// <item><c>feedback-&lt;...&gt;.jsonl</c>, one line per label: <c>{"format":1,"id":"...","row":0,"label":true,"time":"..."}</c>.</item>
/// </list>
/// Every line is written by a JSON serializer (names and values escaped, non-ASCII as \u escapes), so nothing a request
/// carries can end a line early or name a file. Lines go through a buffer that is flushed every
/// <see cref="PredictionLogOptions.FlushInterval"/> and on <see cref="Dispose"/>; a file is closed whole before the next
/// is opened. So a crash loses at most the last interval's lines, and only the newest file of each kind can end in a cut
/// line. One writer per folder. Safe to call from several threads.
/// </summary>
public sealed class PredictionLogWriter : IDisposable
{
    private readonly PredictionLogOptions _options;
    private readonly TimeProvider _clock;
    private readonly LogStream _predictions;
    private readonly LogStream _feedback;
    private readonly ITimer _timer;
    private long _sequence;

    public PredictionLogWriter(PredictionLogOptions options, TimeProvider? clock = null)
    {
        if (string.IsNullOrWhiteSpace(options.Folder))
        {
            throw new MlopsException("The prediction log needs a folder.", "Name a folder to write the log to, e.g. --log-predictions ./predictions.");
        }
        if (options.MaxFileBytes < 1 || options.MaxFileAge <= TimeSpan.Zero || options.FlushInterval <= TimeSpan.Zero)
        {
            throw new MlopsException("The prediction log's file size, file age and flush interval must be more than zero.",
                "Leave them out for the defaults: 64 MB, one hour, one second.");
        }
        _options = options;
        _clock = clock ?? TimeProvider.System;
        // Numbering goes on from the files already there, so a restarted server's files sort after the earlier ones.
        _sequence = LastSequence(options.Folder);
        _predictions = new LogStream(this, LogFileKind.Predictions);
        _feedback = new LogStream(this, LogFileKind.Feedback);
        _timer = _clock.CreateTimer(_ => Tick(), null, options.FlushInterval, options.FlushInterval);
    }

    public string Folder => _options.Folder;

    /// <summary>The highest sequence number in the folder; 0 when it is empty, missing or unreadable (then writing fails, and is counted, line by line).</summary>
    private static long LastSequence(string folder)
    {
        try
        {
            return Directory.Exists(folder) ? PredictionLogFormat.List(folder).Files.Select(f => f.Sequence).DefaultIfEmpty(0).Max() : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Appends one line per row of a request; an <see cref="IOException"/> when the folder cannot be written.</summary>
    public void WritePredictions(string requestId, DateTimeOffset time, string model, int? version,
        IReadOnlyList<string> inputColumns, IReadOnlyList<object?[]> inputs, IReadOnlyList<string> outputColumns, IReadOnlyList<object?[]> outputs)
    {
        var lines = new ArrayBufferWriter<byte>(256 * inputs.Count);
        using (var writer = new Utf8JsonWriter(lines))
        {
            for (var row = 0; row < inputs.Count; row++)
            {
                writer.WriteStartObject();
                Header(writer, requestId, row);
                writer.WriteString("time", PredictionLogFormat.Time(time));
                writer.WriteString("model", model);
                if (version is { } v)
                {
                    writer.WriteNumber("version", v);
                }
                else
                {
                    writer.WriteNull("version");
                }
                Values(writer, "inputs", inputColumns, inputs[row]);
                Values(writer, "outputs", outputColumns, row < outputs.Count ? outputs[row] : []);
                writer.WriteEndObject();
                EndLine(writer, lines);
            }
        }
        _predictions.Append(lines.WrittenSpan);
    }

    /// <summary>Appends one line per label, timed now; an <see cref="IOException"/> when the folder cannot be written.</summary>
    public void WriteFeedback(IReadOnlyList<Feedback> labels)
    {
        var time = PredictionLogFormat.Time(_clock.GetUtcNow());
        var lines = new ArrayBufferWriter<byte>(128 * labels.Count);
        using (var writer = new Utf8JsonWriter(lines))
        {
            foreach (var label in labels)
            {
                writer.WriteStartObject();
                Header(writer, label.RequestId, label.Row);
                writer.WritePropertyName("label");
                label.Label.WriteTo(writer);
                writer.WriteString("time", time);
                writer.WriteEndObject();
                EndLine(writer, lines);
            }
        }
        _feedback.Append(lines.WrittenSpan);
    }

    /// <summary>Sends the buffered lines to the files now.</summary>
    public void Flush()
    {
        _predictions.Flush(closeWhenOld: false);
        _feedback.Flush(closeWhenOld: false);
    }

    /// <summary>Flushes and closes the open files.</summary>
    public void Dispose()
    {
        _timer.Dispose();
        _predictions.Close();
        _feedback.Close();
    }

    private static void Header(Utf8JsonWriter writer, string requestId, int row)
    {
        writer.WriteNumber("format", PredictionLogFormat.Version);
        writer.WriteString("id", requestId);
        writer.WriteNumber("row", row);
    }

    private static void EndLine(Utf8JsonWriter writer, ArrayBufferWriter<byte> lines)
    {
        writer.Flush();
        lines.Write("\n"u8);
        writer.Reset();
    }

    private static void Values(Utf8JsonWriter writer, string name, IReadOnlyList<string> columns, object?[] row)
    {
        writer.WriteStartObject(name);
        for (var i = 0; i < columns.Count && i < row.Length; i++)
        {
            writer.WritePropertyName(columns[i]);
            JsonValues.Write(writer, row[i]);
        }
        writer.WriteEndObject();
    }

    private void Tick()
    {
        _predictions.Flush(closeWhenOld: true);
        _feedback.Flush(closeWhenOld: true);
    }

    /// <summary>The open file of one kind: appended to under a lock, closed whole before the next is opened.</summary>
    private sealed class LogStream(PredictionLogWriter owner, LogFileKind kind)
    {
        private readonly object _lock = new();
        private FileStream? _file;
        private long _bytes;
        private DateTimeOffset _opened;

        public void Append(ReadOnlySpan<byte> lines)
        {
            lock (_lock)
            {
                try
                {
                    while (lines.Length > 0)
                    {
                        var end = lines.IndexOf((byte)'\n') + 1;
                        Rotate(end);
                        _file!.Write(lines[..end]);
                        _bytes += end;
                        lines = lines[end..];
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Discard();
                    throw new IOException($"Cannot write the prediction log in {owner._options.Folder}: {e.Message}", e);
                }
            }
        }

        /// <summary>Called from the timer too, where a failure must not end the process: the open file is given up, and the next line starts a new one.</summary>
        public void Flush(bool closeWhenOld)
        {
            lock (_lock)
            {
                try
                {
                    if (closeWhenOld && _file is not null && owner._clock.GetUtcNow() - _opened >= owner._options.MaxFileAge)
                    {
                        CloseFile();
                    }
                    else
                    {
                        _file?.Flush(flushToDisk: false);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
                {
                    Discard();
                }
            }
        }

        public void Close()
        {
            lock (_lock)
            {
                try
                {
                    CloseFile();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Discard();
                }
            }
        }

        /// <summary>Closes the open file when the next line would make it too large or it is too old, and opens a file when none is.</summary>
        private void Rotate(int next)
        {
            var now = owner._clock.GetUtcNow();
            if (_file is not null && ((_bytes > 0 && _bytes + next > owner._options.MaxFileBytes) || now - _opened >= owner._options.MaxFileAge))
            {
                CloseFile();
            }
            if (_file is null)
            {
                Directory.CreateDirectory(owner._options.Folder);
                while (_file is null)
                {
                    var path = Path.Combine(owner._options.Folder, PredictionLogFormat.FileName(kind, now, Interlocked.Increment(ref owner._sequence)));
                    try
                    {
                        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024);
                    }
                    catch (IOException) when (File.Exists(path))
                    {
                        // another writer took the number: take the next
                    }
                }
                _bytes = 0;
                _opened = now;
            }
        }

        private void CloseFile()
        {
            var file = _file;
            _file = null;
            file?.Dispose();
        }

        private void Discard()
        {
            var file = _file;
            _file = null;
            try
            {
                file?.Dispose();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _ = e; // the buffered lines are lost with the file; the caller was told, or the timer has no one to tell
            }
        }
    }
}
