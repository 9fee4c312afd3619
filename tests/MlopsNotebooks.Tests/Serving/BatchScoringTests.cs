using System.Globalization;
using Microsoft.ML;
using MlopsNotebooks.Serving.Batch;
using MlopsNotebooks.Tests.Support;
using Parquet.Serialization;

namespace MlopsNotebooks.Tests.Serving;

/// <summary>A scored row as batch scoring writes it to Parquet: the input's columns, then the model's, each nullable.</summary>
public sealed class ScoredRow
{
    public float? Tenure { get; set; }
    public float? Calls { get; set; }
    public string Plan { get; set; } = "";
    public bool? Label { get; set; }
    public bool? PredictedLabel { get; set; }
    public float? Score { get; set; }
    public float? Probability { get; set; }
}

/// <summary><c>mlops models predict</c> over real files and a real FastTree bundle, checked against the model loaded in this process.</summary>
public sealed class BatchScoringTests(ServedBundle bundle) : IClassFixture<ServedBundle>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string WriteCsv(string name, IEnumerable<CustomerRow> rows, string header = "CustomerId,Tenure,Calls,Plan,Label", Func<CustomerRow, int, string>? line = null)
    {
        var path = _temp.File(name);
        File.WriteAllLines(path, [header, .. rows.Select(line ?? ((r, i) => $"c{i},{r.Tenure.ToString(CultureInfo.InvariantCulture)},{r.Calls.ToString(CultureInfo.InvariantCulture)},{r.Plan},{(r.Label ? "true" : "false")}"))]);
        return path;
    }

    private (int ExitCode, string Output, string Error) Predict(params string[] args) =>
        Programs.Run(Programs.Mlops, ["models", "predict", .. args, "--tracking-uri", bundle.StoreUri], workingDirectory: _temp.Path);

    /// <summary>The in-process answers, from one prediction engine over the bundle's model.</summary>
    private List<CustomerPrediction> Expected(IEnumerable<CustomerRow> rows)
    {
        var ml = new MLContext(seed: 0);
        var engine = ml.Model.CreatePredictionEngine<CustomerRow, CustomerPrediction>(ml.Model.Load(Path.Combine(bundle.Folder, "model.zip"), out _));
        return rows.Select(engine.Predict).ToList();
    }

    private void AssertNothingLeftBehind(string output)
    {
        Assert.False(File.Exists(output), $"{output} was left behind");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_csv_file_larger_than_one_chunk_is_scored_row_for_row_as_the_model_in_process_scores_it()
    {
        var rows = ServedBundle.Rows(BatchScorer.DefaultChunkRows * 2 + 345, seed: 7);
        var input = WriteCsv("customers.csv", rows);
        var (code, stdout, stderr) = Predict("churn@candidate", "--input", input, "--output", "scored.csv");
        Assert.True(code == 0, stderr);
        Assert.Contains($"Scored {rows.Count.ToString("N0", CultureInfo.InvariantCulture)} rows with churn/1", stdout);
        var lines = File.ReadAllLines(_temp.File("scored.csv"));
        Assert.Equal("CustomerId,Tenure,Calls,Plan,Label,PredictedLabel,Score,Probability", lines[0]);
        Assert.Equal(rows.Count, lines.Length - 1);
        var expected = Expected(rows);
        for (var i = 0; i < rows.Count; i++)
        {
            var values = lines[i + 1].Split(',');
            Assert.Equal($"c{i}", values[0]);
            Assert.Equal(expected[i].PredictedLabel, bool.Parse(values[5]));
            Assert.Equal(expected[i].Score, float.Parse(values[6], CultureInfo.InvariantCulture), 5);
            Assert.Equal(expected[i].Probability, float.Parse(values[7], CultureInfo.InvariantCulture), 5);
        }
    }

    [Fact]
    public async Task A_parquet_file_of_several_row_groups_is_scored_into_parquet_as_the_model_in_process_scores_it()
    {
        var rows = ServedBundle.Rows(2_500, seed: 8);
        var input = _temp.File("customers.parquet");
        await ParquetSerializer.SerializeAsync(rows, input, new Parquet.ParquetOptions { RowGroupSize = 1_000 });
        var output = _temp.File("scored.parquet");
        var reports = new List<long>();
        var summary = await BatchScorer.ScoreAsync(bundle.Folder, input, output, (scored, _) => reports.Add(scored), chunkRows: 400);
        Assert.Equal(rows.Count, summary.Rows);
        Assert.Equal(reports.Order(), reports);
        Assert.True(reports.Count >= rows.Count / 400, $"{reports.Count} chunks");
        var scored = (await ParquetSerializer.DeserializeAsync<ScoredRow>(output)).Data;
        var expected = Expected(rows);
        Assert.Equal(rows.Count, scored.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal((rows[i].Tenure, rows[i].Calls, rows[i].Plan, rows[i].Label), (scored[i].Tenure, scored[i].Calls, scored[i].Plan, scored[i].Label));
            Assert.Equal(expected[i].PredictedLabel, scored[i].PredictedLabel);
            Assert.Equal(expected[i].Score, scored[i].Score!.Value, 5);
            Assert.Equal(expected[i].Probability, scored[i].Probability!.Value, 5);
        }
    }

    [Fact]
    public async Task Csv_in_and_parquet_out_and_parquet_in_and_csv_out_give_the_same_predictions()
    {
        var rows = ServedBundle.Rows(50, seed: 9);
        var csv = WriteCsv("customers.csv", rows);
        var parquet = _temp.File("customers.parquet");
        await ParquetSerializer.SerializeAsync(rows, parquet);
        foreach (var (from, to) in new[] { (csv, "from-csv.parquet"), (parquet, "from-parquet.csv") })
        {
            var (code, _, stderr) = Predict(bundle.Folder, "--input", from, "--output", to);
            Assert.True(code == 0, stderr);
        }
        var fromCsv = (await ParquetSerializer.DeserializeUntypedAsync(File.OpenRead(_temp.File("from-csv.parquet")))).Data;
        var fromParquet = File.ReadAllLines(_temp.File("from-parquet.csv"));
        Assert.Equal("Tenure,Calls,Plan,Label,PredictedLabel,Score,Probability", fromParquet[0]);
        for (var i = 0; i < rows.Count; i++)
        {
            var values = fromParquet[i + 1].Split(',');
            Assert.Equal(fromCsv[i]["PredictedLabel"], bool.Parse(values[4]));
            Assert.Equal(fromCsv[i]["Score"], float.Parse(values[5], CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void A_missing_input_file_is_an_error_and_writes_nothing()
    {
        var (code, _, stderr) = Predict("churn@candidate", "--input", "absent.csv", "--output", "scored.csv");
        Assert.Equal(1, code);
        Assert.Contains("There is no input file at absent.csv", stderr);
        Assert.DoesNotContain("   at ", stderr);
        AssertNothingLeftBehind(_temp.File("scored.csv"));
    }

    [Fact]
    public void A_missing_column_the_model_needs_is_named()
    {
        var input = WriteCsv("customers.csv", ServedBundle.Rows(5, seed: 1), "CustomerId,Tenure,Plan,Label", (r, i) => $"c{i},{r.Tenure},{r.Plan},true");
        var (code, _, stderr) = Predict("churn@candidate", "--input", input, "--output", "scored.csv");
        Assert.Equal(1, code);
        Assert.Contains("has no column Calls, which the model needs", stderr);
        Assert.Contains("Calls (Single)", stderr);
        AssertNothingLeftBehind(_temp.File("scored.csv"));
    }

    [Fact]
    public void A_value_that_does_not_parse_after_the_first_chunk_names_its_row_and_column_and_leaves_no_output_behind()
    {
        var rows = ServedBundle.Rows(BatchScorer.DefaultChunkRows + 10, seed: 2);
        var bad = BatchScorer.DefaultChunkRows + 5;
        var input = WriteCsv("customers.csv", rows, line: (r, i) => $"c{i},{(i + 1 == bad ? "twelve" : r.Tenure.ToString(CultureInfo.InvariantCulture))},{r.Calls},{r.Plan},true");
        var (code, _, stderr) = Predict("churn@candidate", "--input", input, "--output", "scored.csv");
        Assert.Equal(1, code);
        Assert.Contains($"Row {bad}, column Tenure: 'twelve' is not a number.", stderr);
        Assert.DoesNotContain("   at ", stderr);
        AssertNothingLeftBehind(_temp.File("scored.csv"));
    }

    [Fact]
    public void A_failed_scoring_leaves_an_earlier_output_as_it_was()
    {
        var output = _temp.File("scored.csv");
        File.WriteAllText(output, "yesterday's scores\n");
        var input = WriteCsv("customers.csv", ServedBundle.Rows(3, seed: 3), line: (r, i) => $"c{i},{r.Tenure},{r.Calls},{r.Plan},maybe,extra");
        var (code, _, stderr) = Predict("churn@candidate", "--input", input, "--output", output);
        Assert.Equal(1, code);
        Assert.Contains("Row 1 of", stderr);
        Assert.Contains("has 6 values; the header has 5", stderr);
        Assert.Equal("yesterday's scores\n", File.ReadAllText(output));
        Assert.Empty(Directory.GetFiles(_temp.Path, "*.tmp"));
    }

    [Theory]
    [InlineData("customers.json", "scored.csv", "--input customers.json")]
    [InlineData("customers.csv", "scored.xlsx", "--output scored.xlsx")]
    public void An_unknown_extension_is_refused_before_anything_is_read(string input, string output, string named)
    {
        WriteCsv("customers.csv", ServedBundle.Rows(3, seed: 4));
        var (code, _, stderr) = Predict("churn@candidate", "--input", input, "--output", output);
        Assert.Equal(1, code);
        Assert.Contains($"{named}: batch scoring reads and writes .csv and .parquet files", stderr);
        AssertNothingLeftBehind(_temp.File(output));
    }

    [Fact]
    public void An_output_that_cannot_be_written_is_an_error_without_a_stack_trace()
    {
        var input = WriteCsv("customers.csv", ServedBundle.Rows(3, seed: 5));
        var (code, _, stderr) = Predict("churn@candidate", "--input", input, "--output", Path.Combine("no-such-folder", "scored.csv"));
        Assert.Equal(1, code);
        Assert.Contains("no-such-folder", stderr);
        Assert.DoesNotContain("internal error", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void A_file_that_is_not_parquet_is_an_error()
    {
        var input = _temp.File("customers.parquet");
        File.WriteAllText(input, "Tenure,Calls\n1,2\n");
        var (code, _, stderr) = Predict("churn@candidate", "--input", input, "--output", "scored.csv");
        Assert.Equal(1, code);
        Assert.True(stderr.Contains("is not a Parquet file"), stderr);
        Assert.DoesNotContain("   at ", stderr);
        AssertNothingLeftBehind(_temp.File("scored.csv"));
    }

    [Fact]
    public void Leaving_out_the_input_or_output_is_a_usage_error()
    {
        Assert.Equal(2, Predict("churn@candidate", "--output", "scored.csv").ExitCode);
        Assert.Equal(2, Predict("churn@candidate", "--input", "customers.csv").ExitCode);
    }
}
