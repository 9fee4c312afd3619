using System.Globalization;
using System.Text.RegularExpressions;

namespace MlopsNotebooks.Monitoring;

/// <summary>The two kinds of file in a prediction log's folder.</summary>
internal enum LogFileKind
{
    Predictions,
    Feedback,
}

/// <summary>A file of the log, known by its name: its kind, the UTC time it was opened, its sequence number.</summary>
internal sealed record LogFile(string Path, LogFileKind Kind, DateTimeOffset Opened, long Sequence)
{
    public string Name => System.IO.Path.GetFileName(Path);
}

/// <summary>
/// The one place that knows the log's layout: file names (<c>predictions-20261202T003753123Z-000001.jsonl</c>, the UTC
/// time the file was opened and a sequence number, so that names sort in the order the files were written) and the
/// members of a line.
/// </summary>
internal static partial class PredictionLogFormat
{
    /// <summary>The format of the lines; readers skip lines of a newer one, with a note.</summary>
    public const int Version = 1;

    /// <summary>
    /// How long a row may wait between its prediction and its line (the server's queue): a file opened this much after
    /// the end of a window holds none of its rows, so the reader need not open it.
    /// </summary>
    public static readonly TimeSpan Lateness = TimeSpan.FromMinutes(5);

    private const string TimeFormat = "yyyyMMdd'T'HHmmssfff'Z'";

    public static string FileName(LogFileKind kind, DateTimeOffset opened, long sequence) =>
        $"{Prefix(kind)}-{opened.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)}-{sequence.ToString("D6", CultureInfo.InvariantCulture)}.jsonl";

    /// <summary>The log's files in <paramref name="folder"/>, in the order they were written, and the names of every other entry.</summary>
    public static (List<LogFile> Files, List<string> Others) List(string folder)
    {
        var files = new List<LogFile>();
        var others = new List<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder))
        {
            var name = System.IO.Path.GetFileName(entry);
            if (Parse(entry) is { } file && File.Exists(entry))
            {
                files.Add(file);
            }
            else
            {
                others.Add(name);
            }
        }
        files.Sort((a, b) => a.Opened != b.Opened ? a.Opened.CompareTo(b.Opened) : a.Sequence.CompareTo(b.Sequence));
        others.Sort(StringComparer.Ordinal);
        return (files, others);
    }

    private static LogFile? Parse(string path)
    {
        var match = NamePattern().Match(System.IO.Path.GetFileName(path));
        if (!match.Success
            || !DateTime.TryParseExact(match.Groups["time"].Value, TimeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var opened)
            || !long.TryParse(match.Groups["sequence"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return null;
        }
        var kind = match.Groups["kind"].Value == Prefix(LogFileKind.Predictions) ? LogFileKind.Predictions : LogFileKind.Feedback;
        return new LogFile(path, kind, new DateTimeOffset(opened, TimeSpan.Zero), sequence);
    }

    private static string Prefix(LogFileKind kind) => kind == LogFileKind.Predictions ? "predictions" : "feedback";

    [GeneratedRegex(@"^(?<kind>predictions|feedback)-(?<time>\d{8}T\d{9}Z)-(?<sequence>\d{6,18})\.jsonl$")]
    private static partial Regex NamePattern();

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
