using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tests.Registry;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Monitoring;

/// <summary>
/// The issue's bad inputs through `mlops monitor` as a user runs it, against a real model registered with its training
/// data: each gives a defined result said in the report, or exit 1 with a message and a hint for what is truly unusable;
/// never exit 70, never a stack trace.
/// </summary>
public sealed class DriftInputTests(DriftInputTests.Bundles bundles) : IClassFixture<DriftInputTests.Bundles>, IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A churn model registered with its training data and exported, and a second model ("fraud") for the mix-ups.</summary>
    public sealed class Bundles : IDisposable
    {
        private readonly GitRepository _git = new();

        public Bundles()
        {
            using var client = new TrackingClient(_git.PathOf(".mlops/mlops.db"));
            var registry = new ModelRegistry(client);
            var (model, data) = ChurnRows.Train(ChurnRows.Rows(1500, 1));
            var run = client.CreateRun("drift", "train");
            client.LogBatch(run.RunId, [new Metric("auc", 0.9, 0, 1)], []);
            registry.Register(run.RunId, model, data.Schema, "churn", referenceData: data);
            Churn = registry.Export("churn", _git.PathOf("churn"));
            registry.Register(run.RunId, model, data.Schema, "fraud", referenceData: data);
            Fraud = registry.Export("fraud", _git.PathOf("fraud"));
            registry.Register(run.RunId, model, data.Schema, "bare");
            Bare = registry.Export("bare", _git.PathOf("bare"));
        }

        public string Churn { get; }

        public string Fraud { get; }

        public string Bare { get; }

        public void Dispose() => _git.Dispose();
    }

    /// <summary>One line of the log as the server writes it, with the inputs given as JSON members.</summary>
    private static string Line(int i, string inputs, string model = "churn", double probability = 0.5) =>
        "{\"format\":1,\"id\":\"r" + i.ToString(CultureInfo.InvariantCulture) + "\",\"row\":0,\"time\":\""
        + Start.AddSeconds(i).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)
        + "\",\"model\":\"" + model + "\",\"version\":1,\"inputs\":{" + inputs + "},\"outputs\":{\"PredictedLabel\":" + (probability > 0.5 ? "true" : "false")
        + ",\"Score\":0,\"Probability\":" + probability.ToString(CultureInfo.InvariantCulture) + "}}\n";

    private static string Inputs(Row row) => FormattableString.Invariant($"\"Tenure\":{row.Tenure},\"Calls\":{row.Calls},\"Plan\":\"{row.Plan}\"");

    private string Log(string text, string name = "predictions-20260501T120000000Z-000001.jsonl")
    {
        var folder = _dir.File("log");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, name), text);
        return folder;
    }

    private string Unshifted(int count, int seed) =>
        string.Concat(ChurnRows.Rows(count, seed).Select((r, i) => Line(i, Inputs(r), probability: r.Label ? 0.8 : 0.2)));

    /// <summary>`mlops monitor --json` over the hour after <see cref="Start"/>; the report folder is the test's "report".</summary>
    private (int Code, JsonNode? Report, string Output, string Error) Monitor(string bundle, string log, params string[] more)
    {
        var (code, output, error) = Programs.Run(Programs.Mlops,
            ["monitor", "--bundle", bundle, "--log", log, "--since", "2026-05-01T12:00:00Z", "--until", "2026-05-02T12:00:00Z",
             "--report", _dir.File("report"), "--json", .. more],
            _dir.Path, new Dictionary<string, string?> { ["GITHUB_ACTIONS"] = null, ["GITHUB_TOKEN"] = null, ["MLOPS_PLOTLY_JS"] = null });
        Assert.True(code is 0 or 1 or 2, $"exit {code}: {output}{error}");
        Assert.DoesNotContain("   at ", output + error);
        return (code, code == 0 ? JsonNode.Parse(output) : null, output, error);
    }

    private static JsonNode Column(JsonNode? report, string name) =>
        report!["columns"]!.AsArray().Single(c => (string)c!["column"]! == name)!;

    private static string Notes(JsonNode? report) => string.Join("\n", report!["notes"]!.AsArray().Select(n => (string)n!));

    [Fact]
    public void An_unshifted_window_is_healthy_and_its_report_is_written()
    {
        var (code, report, output, error) = Monitor(bundles.Churn, Log(Unshifted(2000, 2)));

        Assert.True(code == 0, output + error);
        Assert.False((bool)report!["dataset_drifted"]!, output);
        Assert.All(["Tenure", "Calls", "Plan"], c => Assert.False((bool)Column(report, c)["drifted"]!, Column(report, c).ToJsonString()));
        Assert.True(File.Exists(_dir.File("report/drift.html")));
    }

    [Fact]
    public void The_windows_predictions_are_compared_with_the_predictions_the_bundle_carries_in_exact_mode()
    {
        var calm = string.Concat(ChurnRows.Rows(800, 12).Select((r, i) => Line(i, Inputs(r), probability: 0.2)));
        var (code, report, output, error) = Monitor(bundles.Churn, Log(calm));

        Assert.True(code == 0, output + error);
        var prediction = report!["prediction"];
        Assert.True(prediction is not null, output);
        Assert.Equal("Probability", (string)prediction!["column"]!);
        Assert.Equal(800, (int)prediction["counts"]!["current"]!);
        Assert.DoesNotContain("no Probability column", Notes(report));
    }

    [Fact]
    public void Forty_unshifted_windows_through_mlops_monitor_raise_data_set_drift_at_most_twice()
    {
        const int windows = 40;
        var text = new StringBuilder();
        for (var w = 0; w < windows; w++)
        {
            text.Append(string.Concat(ChurnRows.Rows(1000, 100 + w).Select((r, i) => Line(w * 3600 + i, Inputs(r), probability: r.Label ? 0.8 : 0.2))));
        }
        var log = Log(text.ToString());
        var flagged = 0;
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var w = 0; w < windows; w++)
        {
            var (code, output, error) = Programs.Run(Programs.Mlops,
                ["monitor", "--bundle", bundles.Churn, "--log", log, "--since", Start.AddHours(w).ToString("O"), "--until", Start.AddHours(w + 1).ToString("O"), "--json"],
                _dir.Path, new Dictionary<string, string?> { ["GITHUB_ACTIONS"] = null, ["GITHUB_TOKEN"] = null });
            Assert.True(code == 0, output + error);
            var report = JsonNode.Parse(output)!;
            Assert.Equal(1000, (int)report["current_rows"]!);
            flagged += (bool)report["dataset_drifted"]! ? 1 : 0;
            foreach (var column in report["columns"]!.AsArray().Where(c => (bool)c!["drifted"]!))
            {
                columns[(string)column!["column"]!] = columns.GetValueOrDefault((string)column["column"]!) + 1;
            }
        }

        // Two columns of three must drift together by chance; with independent windows that is rare (well under 5%).
        Assert.True(flagged <= 2, $"data-set drift in {flagged} of {windows} unshifted windows; drifted columns: {string.Join(", ", columns.Select(c => $"{c.Key} {c.Value}"))}");
    }

    [Fact]
    public void An_empty_window_is_said_in_the_report_and_drifts_nothing()
    {
        var (code, report, output, error) = Monitor(bundles.Churn, Log(""));

        Assert.True(code == 0, output + error);
        Assert.False((bool)report!["dataset_drifted"]!);
        Assert.Contains("no rows", Notes(report), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Columns_missing_from_the_log_are_named_in_the_report_and_the_others_are_compared()
    {
        var rows = ChurnRows.Rows(400, 3);
        var (code, report, output, error) = Monitor(bundles.Churn, Log(string.Concat(rows.Select((r, i) =>
            Line(i, FormattableString.Invariant($"\"Tenure\":{r.Tenure}"))))));

        Assert.True(code == 0, output + error);
        Assert.False((bool)Column(report!, "Tenure")["drifted"]!);
        Assert.Contains("Plan", Notes(report!));
        Assert.Contains("Calls", Notes(report));
    }

    [Fact]
    public void Categories_never_seen_in_training_make_their_column_drift()
    {
        var rows = ChurnRows.Rows(400, 4);
        var (code, report, output, error) = Monitor(bundles.Churn, Log(string.Concat(rows.Select((r, i) =>
            Line(i, Inputs(r).Replace("\"basic\"", "\"enterprise\"", StringComparison.Ordinal))))));

        Assert.True(code == 0, output + error);
        Assert.True((bool)Column(report!, "Plan")["drifted"]!, output);
        Assert.False((bool)Column(report!, "Tenure")["drifted"]!, output);
    }

    [Fact]
    public void An_all_null_column_is_said_and_drifts_while_a_constant_one_is_compared()
    {
        var rows = ChurnRows.Rows(400, 5);
        var (code, report, output, error) = Monitor(bundles.Churn, Log(string.Concat(rows.Select((r, i) =>
            Line(i, FormattableString.Invariant($"\"Tenure\":null,\"Calls\":3,\"Plan\":null"))))));

        Assert.True(code == 0, output + error);
        Assert.Contains("Tenure", Notes(report!));
        Assert.True((bool)Column(report!, "Calls")["drifted"]!, output);
        Assert.DoesNotContain("NaN", output);
    }

    [Fact]
    public void A_hundred_thousand_distinct_strings_in_a_column_are_compared_in_bounded_time()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 100_000; i++)
        {
            text.Append(Line(i % 80_000, FormattableString.Invariant($"\"Tenure\":{i % 60},\"Calls\":{i % 6},\"Plan\":\"plan-{i}\"")).Replace("\"id\":\"r", $"\"id\":\"{i}-r", StringComparison.Ordinal));
        }
        var started = DateTime.UtcNow;
        var (code, report, output, error) = Monitor(bundles.Churn, Log(text.ToString()));

        Assert.True(code == 0, output + error);
        Assert.True((bool)Column(report!, "Plan")["drifted"]!);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60), $"took {DateTime.UtcNow - started}");
        Assert.True(new FileInfo(_dir.File("report/drift.md")).Length < 200_000, "the Markdown must stay postable to GitHub");
        Assert.True(new FileInfo(_dir.File("report/drift.json")).Length < 5_000_000);
    }

    [Fact]
    public void A_log_file_cut_mid_line_is_read_up_to_the_cut_and_the_cut_is_said()
    {
        var text = Unshifted(300, 6);
        var (code, report, output, error) = Monitor(bundles.Churn, Log(text[..(text.Length - 40)]));

        Assert.True(code == 0, output + error);
        Assert.Equal(299, (int)report!["current_rows"]!);
        Assert.Contains("cut", Notes(report));
    }

    [Fact]
    public void A_log_of_another_model_is_refused_with_exit_1()
    {
        var (code, _, output, error) = Monitor(bundles.Churn, Log(string.Concat(ChurnRows.Rows(50, 7).Select((r, i) => Line(i, Inputs(r), model: "fraud")))));

        Assert.True(code == 1, output + error);
        Assert.Contains("fraud", error);
        Assert.False(Directory.Exists(_dir.File("report")));
    }

    [Fact]
    public void A_bundle_without_a_reference_is_refused_with_exit_1()
    {
        var (code, _, output, error) = Monitor(bundles.Bare, Log(Unshifted(50, 8).Replace("\"churn\"", "\"bare\"", StringComparison.Ordinal)));

        Assert.True(code == 1, output + error);
        Assert.Contains(Reference.ProfileFile, error);
        Assert.False(Directory.Exists(_dir.File("report")));
    }

    public static TheoryData<string, string> Forgeries => new()
    {
        { Reference.ProfileFile, "{\"rows\": 5" },
        { Reference.ProfileFile, "[]" },
        { Reference.ProfileFile, "{\"rows\": -3, \"columns\": []}" },
        { Reference.ProfileFile, "{\"rows\": 10, \"columns\": [{\"name\": \"Tenure\", \"kind\": \"numerical\", \"count\": 10, \"missing\": 0, \"distinct\": 2, \"frequencies\": {\"1\": 1e308, \"2\": 1e308}}]}" },
        { Reference.ColumnsFile, "" },
        { Reference.ColumnsFile, "not the columns file at all" },
        { Reference.ColumnsFile, "MLRC" + new string('\xff', 64) },
    };

    [Theory]
    [MemberData(nameof(Forgeries))]
    public void A_forged_reference_in_the_bundle_is_refused_with_exit_1(string file, string text)
    {
        var bundle = _dir.File("forged");
        Directory.CreateDirectory(bundle);
        foreach (var path in Directory.GetFiles(bundles.Churn))
        {
            File.Copy(path, Path.Combine(bundle, Path.GetFileName(path)));
        }
        File.WriteAllText(Path.Combine(bundle, file), text);

        var (code, _, output, error) = Monitor(bundle, Log(Unshifted(50, 9)));

        Assert.True(code == 1, output + error);
        Assert.Equal(2, error.Trim().Split('\n').Length); // the message and its hint
    }

    [Fact]
    public void A_truncated_columns_file_is_refused_with_exit_1()
    {
        var bundle = _dir.File("cut");
        Directory.CreateDirectory(bundle);
        foreach (var path in Directory.GetFiles(bundles.Churn))
        {
            File.Copy(path, Path.Combine(bundle, Path.GetFileName(path)));
        }
        var columns = Path.Combine(bundle, Reference.ColumnsFile);
        var bytes = File.ReadAllBytes(columns);
        File.WriteAllBytes(columns, bytes[..(bytes.Length / 2)]);

        var (code, _, output, error) = Monitor(bundle, Log(Unshifted(50, 10)));

        Assert.True(code == 1, output + error);
        Assert.Contains(Reference.ColumnsFile, error);
    }

    [Fact]
    public void A_log_folder_full_of_files_that_are_not_the_logs_is_an_empty_window_that_says_so()
    {
        var folder = Log("binary\0\0\0", "model.zip");
        File.WriteAllText(Path.Combine(folder, "predictions-yesterday.jsonl"), Unshifted(10, 11));
        File.WriteAllText(Path.Combine(folder, "predictions-20260501T120000000Z-000001.jsonl.gz"), "\x1f\x8b");
        File.WriteAllBytes(Path.Combine(folder, "predictions-20260501T120000000Z-000002.jsonl"), [0xff, 0xfe, 0x00, 0x0a, 0x7b, 0x0a]);
        Directory.CreateDirectory(Path.Combine(folder, "predictions-20260501T120000000Z-000003.jsonl"));

        var (code, report, output, error) = Monitor(bundles.Churn, folder);

        Assert.True(code == 0, output + error);
        Assert.Equal(0, (int)report!["current_rows"]!);
        Assert.Contains("not the log's", Notes(report));
        Assert.False((bool)report["dataset_drifted"]!);
    }

    private static string Csv(IEnumerable<string> lines) => "Tenure,Calls,Plan\n" + string.Concat(lines.Select(l => l + "\n"));

    private static string CsvRows(int count, int seed, Func<Row, string>? line = null) =>
        Csv(ChurnRows.Rows(count, seed).Select(line ?? (r => FormattableString.Invariant($"{r.Tenure},{r.Calls},{r.Plan}"))));

    public static TheoryData<string, string, string> CurrentCsvs => new()
    {
        { "header only", "Tenure,Calls,Plan\n", "no rows" },
        { "a missing column", "Tenure\n" + string.Concat(ChurnRows.Rows(300, 30).Select(r => FormattableString.Invariant($"{r.Tenure}\n"))), "missing from the current data" },
        { "an unseen category", CsvRows(300, 31, r => FormattableString.Invariant($"{r.Tenure},{r.Calls},enterprise")), "Plan drifted" },
        { "an all-null column", CsvRows(300, 32, r => FormattableString.Invariant($",{r.Calls},{r.Plan}")), "Tenure: no values in the current data" },
        { "100k distinct strings", Csv(Enumerable.Range(0, 100_000).Select(i => FormattableString.Invariant($"{i % 60},{i % 6},plan-{i}"))), "Plan drifted" },
        { "bytes that are no CSV", new string(Enumerable.Range(1, 255).Select(b => (char)b).ToArray()), "missing from the current data" },
    };

    [Theory]
    [MemberData(nameof(CurrentCsvs))]
    public void Mlops_drift_gives_a_defined_report_for_a_current_csv_that_is_odd(string what, string csv, string said)
    {
        var reference = _dir.File("reference.csv");
        File.WriteAllText(reference, CsvRows(1500, 1));
        File.WriteAllText(_dir.File("current.csv"), csv);

        var (code, output, error) = Programs.Run(Programs.Mlops, ["drift", reference, "current.csv", "--json"], _dir.Path);

        Assert.True(code == 0, $"{what}: exit {code}: {output}{error}");
        var report = JsonNode.Parse(output)!;
        var columns = report["columns"]!.AsArray();
        var facts = Notes(report).Split('\n').Concat(columns.Select(c => $"{(string)c!["column"]!}{((bool)c["drifted"]! ? " drifted" : "")}: {(string?)c["note"]}"));
        Assert.Contains(facts, f => f.Contains(said, StringComparison.Ordinal));
    }

    [Fact]
    public void Mlops_drift_refuses_an_empty_csv_and_a_bundle_without_a_reference_with_exit_1()
    {
        File.WriteAllText(_dir.File("empty.csv"), "");
        File.WriteAllText(_dir.File("current.csv"), CsvRows(100, 33));

        var (empty, _, emptyError) = Programs.Run(Programs.Mlops, ["drift", _dir.File("empty.csv"), "current.csv"], _dir.Path);
        var (bare, _, bareError) = Programs.Run(Programs.Mlops, ["drift", bundles.Bare, "current.csv"], _dir.Path);

        Assert.Equal((1, 1), (empty, bare));
        Assert.Contains("has no header row", emptyError);
        Assert.Contains(Reference.ProfileFile, bareError);
        Assert.DoesNotContain("   at ", emptyError + bareError);
    }
}
