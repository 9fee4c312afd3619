using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Monitoring;

/// <summary>The prediction log's files, written by the writer and read back by PredictionLog.Read, on a real folder.</summary>
public sealed class PredictionLogTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _dir = new();

    private string Folder => _dir.File("log");

    public void Dispose() => _dir.Dispose();

    /// <summary>A clock the test moves: the times in the files' names.</summary>
    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static void Request(PredictionLogWriter writer, string id, DateTimeOffset time, params (float Tenure, string Plan, bool Predicted)[] rows) =>
        writer.WritePredictions(id, time, "churn", 3, ["Tenure", "Plan"], rows.Select(r => new object?[] { r.Tenure, r.Plan }).ToList(),
            ["PredictedLabel", "Score"], rows.Select(r => new object?[] { r.Predicted, r.Tenure / 10f }).ToList());

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static ReferenceProfile Reference(params (string Name, ColumnKind Kind)[] columns) =>
        new() { Columns = columns.Select(c => new ColumnProfile { Name = c.Name, Kind = c.Kind }).ToList() };

    private string[] Files(string prefix) => Directory.GetFiles(Folder, prefix + "*").Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Predictions_in_the_window_come_back_with_their_labels_joined_by_request_id_and_row()
    {
        var clock = new Clock(Noon.AddMinutes(-1));
        using (var writer = new PredictionLogWriter(new PredictionLogOptions(Folder), clock))
        {
            Request(writer, "before", Noon.AddMinutes(-1), (1, "basic", false));
            Request(writer, "r1", Noon, (12, "basic", true), (40, "pro", false));
            Request(writer, "r2", Noon.AddMinutes(30), (5, "team", true));
            Request(writer, "after", Noon.AddHours(1), (7, "pro", false));
            clock.Now = Noon.AddHours(2);
            writer.WriteFeedback([new Feedback("r1", 1, Json("true")), new Feedback("r2", 0, Json("false")), new Feedback("before", 0, Json("true"))]);
            writer.WriteFeedback([new Feedback("r1", 1, Json("false"))]); // sent again: the later label counts
        }

        var window = PredictionLog.Read(Folder, Noon, Noon.AddHours(1));

        Assert.Equal(["r1/0", "r1/1", "r2/0"], window.Predictions.Select(p => $"{p.RequestId}/{p.Row}"));
        var first = window.Predictions[1];
        Assert.Equal(("churn", (int?)3, Noon), (first.Model, first.Version, first.Time));
        Assert.Equal(40, first.Inputs["Tenure"].GetDouble());
        Assert.Equal("pro", first.Inputs["Plan"].GetString());
        Assert.Equal(4f, first.Outputs["Score"].GetSingle());
        Assert.Equal(2, window.Labels.Count); // the label of a row outside the window is not kept
        Assert.False(window.Labels[new PredictionKey("r1", 1)].GetBoolean());
        Assert.Empty(window.Notes);

        var labeled = window.Labeled("PredictedLabel", ColumnKind.Categorical)!;
        Assert.Equal(["false", "true"], labeled.Predictions.Categories!.AsEnumerable());
        Assert.Equal(["false", "false"], labeled.Labels.Categories!.AsEnumerable());
        Assert.Equal("label", labeled.Labels.Name);
        Assert.Equal([1.2, 4, 0.5], window.OutputColumn("Score", ColumnKind.Numerical)!.Numbers!.Select(v => Math.Round(v, 5)));
    }

    private static Gen<string> Hostile() =>
        from chars in Gen.ListOf(Gen.Elements("ab1 \"\\{}[]:,\r\n\t\u0000\u2028\u2029\u0085\u202e</>€".ToCharArray()))
        select new string(chars.ToArray());

    [Property(MaxTest = 200)]
    public Property Every_row_is_one_line_that_reads_back_the_same_whatever_names_and_values_a_request_carries() =>
        Prop.ForAll(Gen.Zip(Hostile(), Hostile()).ToArbitrary(), pair =>
        {
            var (name, value) = pair;
            using var dir = new TempDirectory();
            using (var writer = new PredictionLogWriter(new PredictionLogOptions(dir.Path)))
            {
                writer.WritePredictions(value, Noon, name, 1, [name], [[value], [name]], [name], [[value], [value]]);
            }
            var lines = File.ReadAllText(Directory.GetFiles(dir.Path).Single()).Split('\n');
            var window = PredictionLog.Read(dir.Path, null, null);
            var column = window.InputColumns(Reference((name, ColumnKind.Categorical)))[name];
            return lines.Length == 3 && lines[2] == "" && window.Notes.Count == 0
                && window.Predictions.All(p => p.Model == name && p.RequestId == value)
                && column!.Categories!.SequenceEqual([value, name]);
        });

    [Fact]
    public void Files_are_rotated_by_size_each_closed_whole_and_read_back_in_order()
    {
        using (var writer = new PredictionLogWriter(new PredictionLogOptions(Folder) { MaxFileBytes = 1000 }))
        {
            for (var i = 0; i < 100; i++)
            {
                Request(writer, $"r{i}", Noon.AddSeconds(i), (i, "basic", i % 2 == 0));
            }
        }

        var files = Files("predictions-");
        Assert.InRange(files.Length, 10, 50);
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            Assert.InRange(bytes.Length, 1, 1000);
            Assert.Equal((byte)'\n', bytes[^1]);
        }
        var window = PredictionLog.Read(Folder, null, null);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"r{i}"), window.Predictions.Select(p => p.RequestId));
        Assert.Empty(window.Notes);
    }

    [Fact]
    public void Files_are_rotated_by_age_and_files_wholly_outside_the_window_by_name_are_not_opened()
    {
        var clock = new Clock(Noon);
        using (var writer = new PredictionLogWriter(new PredictionLogOptions(Folder) { MaxFileAge = TimeSpan.FromHours(1) }, clock))
        {
            for (var hour = 0; hour < 4; hour++)
            {
                clock.Now = Noon.AddHours(hour);
                Request(writer, $"h{hour}", clock.Now, (hour, "basic", true));
                clock.Now = Noon.AddHours(hour).AddMinutes(59);
                Request(writer, $"h{hour}-late", clock.Now, (hour, "pro", false));
            }
        }
        var files = Files("predictions-");
        Assert.Equal(4, files.Length);
        // Files that cannot hold rows of the window are broken on purpose: a reader that opened them would say so.
        File.AppendAllText(files[0], "not json\n");
        File.AppendAllText(files[3], "not json\n");

        var window = PredictionLog.Read(Folder, Noon.AddHours(1).AddMinutes(30), Noon.AddHours(2).AddMinutes(30));

        Assert.Equal(["h1-late", "h2"], window.Predictions.Select(p => p.RequestId));
        Assert.Empty(window.Notes);
        Assert.Contains("predictions-", Assert.Single(PredictionLog.Read(Folder, null, null).Notes));
    }

    [Fact]
    public void A_file_cut_mid_line_lines_not_of_the_log_a_newer_format_and_other_files_are_skipped_and_said()
    {
        using (var writer = new PredictionLogWriter(new PredictionLogOptions(Folder) { MaxFileBytes = 400 }))
        {
            for (var i = 0; i < 6; i++)
            {
                Request(writer, $"r{i}", Noon.AddSeconds(i), (i, "basic", true));
            }
        }
        var files = Files("predictions-");
        Assert.True(files.Length >= 3);
        var newest = files[^1];
        var text = File.ReadAllText(newest);
        File.AppendAllText(newest, text[..(text.IndexOf('\n') / 2)]); // a crash in the middle of a line
        var firstBad = File.ReadAllLines(files[0]).Length + 1;
        File.AppendAllText(files[0], "{\"format\":1,\"id\":\"x\"}\n[1,2]\n\n{\"format\":99,\"id\":\"future\"}\n");
        File.WriteAllText(Path.Combine(Folder, "notes.txt"), "not the log's");
        Directory.CreateDirectory(Path.Combine(Folder, "archive"));

        var window = PredictionLog.Read(Folder, null, null);

        Assert.Equal(6, window.Predictions.Count);
        var notes = string.Join("\n", window.Notes);
        Assert.Contains($"1 cut last line was skipped (a crash while writing): {Path.GetFileName(newest)}:", notes);
        Assert.Contains($"3 lines are not JSON or not the log's format and were skipped; the first at {Path.GetFileName(files[0])}:{firstBad}.", notes);
        Assert.Contains("1 line is in a newer format (99", notes);
        Assert.Contains("2 entries in the folder are not the log's and were skipped: archive, notes.txt.", notes);
    }

    [Fact]
    public void A_window_with_no_rows_an_empty_folder_and_a_missing_folder_have_defined_answers()
    {
        using (var writer = new PredictionLogWriter(new PredictionLogOptions(Folder)))
        {
            Request(writer, "r", Noon, (1, "basic", true));
        }
        var empty = PredictionLog.Read(Folder, Noon.AddDays(1), Noon.AddDays(2));
        Assert.Empty(empty.Predictions);
        Assert.Empty(empty.Notes);
        Assert.Empty(empty.InputColumns(Reference(("Tenure", ColumnKind.Numerical))).Columns);
        Assert.Null(empty.OutputColumn("Score", ColumnKind.Numerical));
        Assert.Null(empty.Labeled("Score", ColumnKind.Numerical));

        Directory.CreateDirectory(_dir.File("empty"));
        Assert.Empty(PredictionLog.Read(_dir.File("empty"), null, null).Predictions);

        var missing = Assert.Throws<NotFoundException>(() => PredictionLog.Read(_dir.File("nowhere"), null, null));
        Assert.Contains("--log-predictions", missing.Hint);
        var backwards = Assert.Throws<MlopsException>(() => PredictionLog.Read(Folder, Noon, Noon.AddHours(-1)));
        Assert.Contains("after it ends", backwards.Message);
    }

    [Fact]
    public void Input_columns_are_typed_by_the_reference_and_columns_missing_from_the_log_are_absent()
    {
        using (var writer = new PredictionLogWriter(new PredictionLogOptions(Folder)))
        {
            writer.WritePredictions("r", Noon, "churn", 1, ["Tenure", "Plan", "Calls"],
                [[12f, "basic", 3], ["twelve", 7, true], [null, null, 1.5]], ["Score"], [[0.1f], [0.2f], [0.3f]]);
            writer.WritePredictions("s", Noon, "churn", 1, ["Plan"], [["pro"]], ["Score"], [[0.4f]]); // no Tenure, no Calls
        }
        var window = PredictionLog.Read(Folder, null, null);

        var columns = window.InputColumns(
            Reference(("Tenure", ColumnKind.Numerical), ("Plan", ColumnKind.Categorical), ("Calls", ColumnKind.Categorical), ("Region", ColumnKind.Categorical)),
            out var notes);

        Assert.Equal(["Tenure", "Plan", "Calls"], columns.Columns.Select(c => c.Name));
        Assert.Equal([12, double.NaN, double.NaN, double.NaN], columns["Tenure"]!.Numbers!);
        Assert.Equal(["basic", "7", null, "pro"], columns["Plan"]!.Categories!.AsEnumerable());
        Assert.Equal(["3", "true", "1.5", null], columns["Calls"]!.Categories!.AsEnumerable());
        Assert.Equal("Column Tenure: 3 of 4 rows have no number there (missing or not a number); they count as missing.", Assert.Single(notes));
    }
}
