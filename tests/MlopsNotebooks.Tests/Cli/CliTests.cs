using System.Text.Json;
using MlopsNotebooks.Cli;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Cli;

/// <summary>The `mlops` commands end to end on a temporary store.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _uri;
    private readonly Run _fastTree;
    private readonly Run _sdca;

    public CliTests()
    {
        _uri = _dir.File("mlops.db");
        using var client = new TrackingClient(_uri);
        _fastTree = client.CreateRun("churn", "fasttree");
        client.LogBatch(_fastTree.RunId, [new Metric("auc", 0.91, 9, 1), new Metric("auc", 0.85, 4, 1)],
            [new Param("trainer", "FastTree"), new Param("seed", "42")]);
        client.SetTerminated(_fastTree.RunId);
        _sdca = client.CreateRun("churn", "sdca");
        client.LogBatch(_sdca.RunId, [new Metric("auc", 0.84, 9, 1)], [new Param("trainer", "Sdca"), new Param("seed", "42")]);
        client.SetTerminated(_sdca.RunId, RunStatus.Failed);
    }

    public void Dispose() => _dir.Dispose();

    private (int Code, string Out, string Err) Mlops(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = MlopsCli.Run([.. args, "--tracking-uri", _uri], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Runs_list_shows_a_table_with_latest_metrics_newest_first()
    {
        var (code, output, error) = Mlops("runs", "list", "-e", "churn");
        Assert.Equal(0, code);
        Assert.Equal("", error);
        var lines = output.TrimEnd().Split('\n');
        Assert.StartsWith("RUN ID", lines[0]);
        Assert.EndsWith("auc", lines[0]);
        Assert.Contains("sdca", lines[1]);
        Assert.Contains("FAILED", lines[1]);
        Assert.Contains("fasttree", lines[2]);
        Assert.Contains("FINISHED", lines[2]);
        Assert.EndsWith("0.91", lines[2]);
    }

    [Fact]
    public void Runs_list_as_json_carries_the_whole_runs()
    {
        var (code, output, _) = Mlops("runs", "list", "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        var runs = json.RootElement.EnumerateArray().ToList();
        Assert.Equal([_sdca.RunId, _fastTree.RunId], runs.Select(r => r.GetProperty("run_id").GetString()));
        Assert.Equal("FastTree", runs[1].GetProperty("params").GetProperty("trainer").GetString());
        Assert.Equal(0.91, runs[1].GetProperty("metrics").GetProperty("auc").GetProperty("value").GetDouble());
        Assert.Equal(9, runs[1].GetProperty("metrics").GetProperty("auc").GetProperty("step").GetInt64());
        Assert.Equal("FAILED", runs[0].GetProperty("status").GetString());
    }

    [Fact]
    public void Runs_search_filters_and_orders()
    {
        var (code, output, _) = Mlops("runs", "search", "-f", "metrics.auc > 0.9 and params.trainer = 'FastTree'", "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal([_fastTree.RunId], json.RootElement.EnumerateArray().Select(r => r.GetProperty("run_id").GetString()));

        var (_, ordered, _) = Mlops("runs", "search", "--order-by", "metrics.auc ASC", "-n", "1");
        Assert.Contains("sdca", ordered);
        Assert.DoesNotContain("fasttree", ordered);
    }

    [Fact]
    public void A_bad_filter_fails_with_the_position_and_prints_no_results()
    {
        var (code, output, error) = Mlops("runs", "search", "-f", "metrics.auc >> 0.9");
        Assert.Equal(MlopsCli.UserError, code);
        Assert.Equal("", output);
        Assert.StartsWith("error: Filter syntax error at position 14", error);
        Assert.Contains("^", error);
        Assert.DoesNotContain("   at ", error); // no stack trace
    }

    [Fact]
    public void Runs_show_accepts_a_prefix_and_shows_params_metrics_and_source()
    {
        var (code, output, _) = Mlops("runs", "show", _fastTree.RunId[..8]);
        Assert.Equal(0, code);
        Assert.StartsWith($"Run {_fastTree.RunId}", output);
        Assert.Contains("churn (1)", output);
        Assert.Matches(@"trainer\s+FastTree", output);
        Assert.Matches(@"auc\s+0\.91\s+9", output);
    }

    [Fact]
    public void Runs_show_escapes_terminal_controls_in_values_and_json_keeps_them_exact()
    {
        var values = new Dictionary<string, string>
        {
            ["title"] = "\u001b]0;pwned\u0007",            // sets the window title
            ["clipboard"] = "\u001b]52;c;ZWNobyBoaQ==\u0007", // OSC 52 writes the clipboard
            ["cursor"] = "ok\u001b[1A\u001b[2K\rfine",      // moves up, erases the line, returns
            ["csi"] = "\u009b31m red",                      // C1 control
            ["delete"] = "x\u007f",
            ["bidi"] = "abc\u202Efed\u2066g\u2069",
        };
        string runId;
        using (var client = new TrackingClient(_uri))
        {
            var run = client.CreateRun("churn", "escapes");
            client.LogBatch(run.RunId, parameters: values.Select(v => new Param(v.Key, v.Value)).ToList(),
                tags: values.Select(v => new RunTag("t." + v.Key, v.Value)).ToList());
            runId = run.RunId;
        }

        var (code, output, _) = Mlops("runs", "show", runId);
        Assert.Equal(0, code);
        Assert.DoesNotContain(output, c => c != '\n' && Names.IsUnsafeCharacter(c));
        Assert.Contains(@"\u001b]0;pwned\u0007", output);
        Assert.Contains(@"\u001b]52;c;ZWNobyBoaQ==\u0007", output);
        Assert.Contains(@"ok\u001b[1A\u001b[2K\u000dfine", output);
        Assert.Contains(@"\u009b31m red", output);
        Assert.Contains(@"abc\u202efed\u2066g\u2069", output);
        Assert.DoesNotContain(Mlops("runs", "list").Out, c => c != '\n' && Names.IsUnsafeCharacter(c));

        var (_, json, _) = Mlops("runs", "show", runId, "--json");
        using var document = JsonDocument.Parse(json);
        foreach (var (key, value) in values)
        {
            Assert.Equal(value, document.RootElement.GetProperty("params").GetProperty(key).GetString());
            Assert.Equal(value, document.RootElement.GetProperty("tags").GetProperty("t." + key).GetString());
        }
    }

    [Fact]
    public void Runs_compare_shows_differing_params_only()
    {
        var (code, output, _) = Mlops("runs", "compare", _fastTree.RunId, _sdca.RunId[..10]);
        Assert.Equal(0, code);
        Assert.Matches(@"params\.trainer\s+FastTree\s+Sdca", output);
        Assert.DoesNotContain("params.seed", output);
        Assert.Matches(@"metrics\.auc\s+0\.91\s+0\.84", output);
    }

    [Fact]
    public void Runs_history_lists_every_point_by_step()
    {
        var (code, output, _) = Mlops("runs", "history", _fastTree.RunId, "auc", "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal([4L, 9L], json.RootElement.EnumerateArray().Select(p => p.GetProperty("step").GetInt64()));
    }

    [Fact]
    public void Runs_history_of_a_metric_the_run_does_not_have_names_the_ones_it_has()
    {
        var (code, output, error) = Mlops("runs", "history", _fastTree.RunId, "nosuchmetric");
        Assert.Equal(MlopsCli.UserError, code);
        Assert.Equal("", output);
        Assert.Contains($"Run {_fastTree.RunId} has no metric 'nosuchmetric'", error);
        Assert.Contains("Its metrics: auc.", error);
    }

    [Fact]
    public void Deleted_runs_disappear_from_lists_and_come_back_on_restore()
    {
        Assert.Equal(0, Mlops("runs", "delete", _sdca.RunId).Code);
        Assert.DoesNotContain("sdca", Mlops("runs", "list").Out);
        Assert.Contains("sdca", Mlops("runs", "list", "--deleted").Out);
        Assert.Contains("sdca", Mlops("runs", "list", "--all").Out);
        Assert.Equal(0, Mlops("runs", "restore", _sdca.RunId[..6]).Code);
        Assert.Contains("sdca", Mlops("runs", "list").Out);
    }

    [Fact]
    public void Experiments_list_names_every_experiment()
    {
        var (code, output, _) = Mlops("experiments", "list", "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(["Default", "churn"], json.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
    }

    [Theory]
    [InlineData(new[] { "runs", "show", "0123456789abcdef" }, "No run with id 0123456789abcdef")]
    [InlineData(new[] { "runs", "show", "../../etc" }, "is not a run id")]
    [InlineData(new[] { "runs", "list", "-e", "nope" }, "No experiment named 'nope'")]
    [InlineData(new[] { "runs", "list", "-n", "0" }, "max results must be between")]
    public void User_errors_exit_1_with_a_message_and_a_hint(string[] args, string message)
    {
        var (code, output, error) = Mlops(args);
        Assert.Equal(MlopsCli.UserError, code);
        Assert.Equal("", output);
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.True(error.TrimEnd().Split('\n').Length >= 2, "a hint follows the message");
    }

    [Fact]
    public void An_alias_with_no_version_is_refused_before_the_store_is_opened_so_nothing_is_created()
    {
        var missing = _dir.File("elsewhere/mlops.db");
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = MlopsCli.Run(["models", "alias", "churn", "production", "--tracking-uri", missing], output, error);
        Assert.Equal(MlopsCli.UserError, code);
        Assert.Equal("error: Which version should the alias point at?\nmlops models alias churn production <version>\n", error.ToString());
        Assert.False(Directory.Exists(_dir.File("elsewhere")), "a refused command created the store");
    }

    [Theory]
    [InlineData("runs", "frobnicate")]
    [InlineData("runs", "compare", "abc")]
    [InlineData("runs", "list", "--max-results", "many")]
    public void Bad_usage_exits_2(params string[] args)
    {
        var (code, _, error) = Mlops(args);
        Assert.Equal(MlopsCli.UsageError, code);
        Assert.StartsWith("error: ", error);
    }

    [Fact]
    public void A_store_that_is_not_ours_is_reported_and_left_alone()
    {
        var notes = _dir.File("notes.txt");
        File.WriteAllText(notes, "hello");
        var (output, error) = (new StringWriter(), new StringWriter());
        Assert.Equal(MlopsCli.UserError, MlopsCli.Run(["runs", "list", "--tracking-uri", notes], output, error));
        Assert.Contains("is not an MlopsNotebooks tracking store", error.ToString());
        Assert.Equal("hello", File.ReadAllText(notes));
    }

    [Fact]
    public void The_mlops_program_reads_the_store_from_MLOPS_TRACKING_URI()
    {
        var (code, output, error) = Programs.Run(Programs.Mlops, ["runs", "list", "-e", "churn"],
            environment: new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = "sqlite:///" + _uri });
        Assert.True(code == 0, error);
        Assert.Contains("fasttree", output);
        Assert.Contains("sdca", output);
    }
}
