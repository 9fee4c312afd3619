using System.Globalization;
using System.Text.Json.Nodes;
using MlopsNotebooks.Cli;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Monitoring;

/// <summary><c>mlops drift</c> on a terminal: a reference CSV against a current CSV, JSON for machines, files, exit codes.</summary>
public sealed class DriftCommandTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Csv(string name, int rows, double shift, string[] plans, int seed)
    {
        var random = new Random(seed);
        var text = new System.Text.StringBuilder("x,plan,calls\n");
        for (var i = 0; i < rows; i++)
        {
            var x = shift + Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            // Categories in turn: equal shares in every file, so only a change of categories can drift them.
            text.Append(CultureInfo.InvariantCulture, $"{x},{plans[i % plans.Length]},{i % 4}\n");
        }
        var path = Path.Combine(_folder.Path, name);
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private (int Code, string Output, string Error) Run(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = MlopsCli.Run([.. args, "--tracking-uri", Path.Combine(_folder.Path, "mlops.db")], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void The_json_gives_per_column_the_test_its_statistic_p_value_threshold_and_verdict()
    {
        var reference = Csv("reference.csv", 800, 0, ["a", "b", "c"], 1);
        var current = Csv("current.csv", 600, 1, ["a", "b", "c"], 2);

        var (code, output, error) = Run("drift", reference, current, "--json");

        Assert.True(code == 0, error);
        var report = JsonNode.Parse(output)!;
        var columns = report["columns"]!.AsArray().ToDictionary(c => (string)c!["column"]!, c => c!);
        // A reference of at most 1,000 rows: KS for the many-valued number, chi-squared for three categories and four counts.
        Assert.Equal(("ks", true), ((string)columns["x"]["test"]!, (bool)columns["x"]["drifted"]!));
        Assert.True((double)columns["x"]["p_value"]! < 1e-6);
        Assert.Equal(0.05, (double)columns["x"]["threshold"]!);
        Assert.Equal(("chisquare", false), ((string)columns["plan"]["test"]!, (bool)columns["plan"]["drifted"]!));
        Assert.Equal("chisquare", (string)columns["calls"]["test"]!);
        Assert.Contains("ks_2samp", (string)columns["x"]["convention"]!);
        Assert.Equal(1, (int)report["drifted_columns"]!);
        Assert.False((bool)report["dataset_drifted"]!); // one of three is under half
    }

    [Fact]
    public void The_table_html_and_markdown_say_the_same_and_fail_on_drift_exits_1()
    {
        var reference = Csv("reference.csv", 3000, 0, ["a", "b"], 3);
        var current = Csv("current.csv", 3000, 0.8, ["a", "b", "z"], 4);
        var html = Path.Combine(_folder.Path, "drift.html");
        var markdown = Path.Combine(_folder.Path, "drift.md");

        var (code, output, error) = Run("drift", reference, current, "--html", html, "--markdown", markdown);
        Assert.True(code == 0, error);
        Assert.Contains("wasserstein", output);
        Assert.Contains("never seen in training: z", output);
        Assert.Contains("<html", File.ReadAllText(html));
        Assert.Contains("xychart-beta", File.ReadAllText(markdown));

        Assert.Equal(MlopsCli.UserError, Run("drift", reference, current, "--fail-on-drift").Code);
        Assert.Equal(MlopsCli.Ok, Run("drift", reference, reference, "--fail-on-drift").Code);
    }

    [Theory]
    [InlineData("profile")]
    [InlineData("exact")]
    public void Both_modes_agree_on_the_verdicts_and_profile_mode_states_its_bounds(string mode)
    {
        var reference = Csv("reference.csv", 4000, 0, ["a", "b"], 5);
        var current = Csv("current.csv", 4000, 0.5, ["a", "b"], 6);
        var (code, output, error) = Run("drift", reference, current, "--mode", mode, "--json");
        Assert.True(code == 0, error);
        var x = JsonNode.Parse(output)!["columns"]!.AsArray().Single(c => (string)c!["column"]! == "x")!;
        Assert.True((bool)x["drifted"]!);
        Assert.Equal(mode == "profile", x["error_bound"] is not null);
    }

    [Fact]
    public void Bad_input_is_a_message_and_exit_1_or_2_never_a_stack_trace()
    {
        var reference = Csv("reference.csv", 200, 0, ["a"], 7);
        var empty = Path.Combine(_folder.Path, "empty.csv");
        File.WriteAllText(empty, "");
        var broken = Path.Combine(_folder.Path, "broken.csv");
        File.WriteAllText(broken, "x,plan\n1,\"unterminated\n");
        string[][] cases =
        [
            ["drift", reference, Path.Combine(_folder.Path, "missing.csv")],
            ["drift", Path.Combine(_folder.Path, "missing.csv"), reference],
            ["drift", "churn@candidate", reference], // no such model in an empty registry
            ["drift", reference, empty],
            ["drift", reference, reference, "--test", "ks", "--threshold", "2"],
            ["drift", reference, reference, "--threshold", "0.2"], // a threshold needs a test
            ["drift", reference, reference, "--drift-share", "0"],
            ["drift", reference, reference, "--columns", "nope"],
            ["drift", reference, reference, "--test", "ks", "--columns", "plan"], // KS on categories
            ["drift", reference, reference, "--html", "/proc/drift.html"],
        ];
        foreach (var args in cases)
        {
            var (code, output, error) = Run(args);
            Assert.True(code is 1 or 2, $"{string.Join(' ', args)}: exit {code}\n{output}{error}");
            Assert.StartsWith("error: ", error);
            Assert.DoesNotContain("   at ", error);
        }
        Assert.Equal(2, Run("drift", reference, reference, "--mode", "fast").Code);
        Assert.Equal(2, Run("drift", reference).Code);
    }
}
