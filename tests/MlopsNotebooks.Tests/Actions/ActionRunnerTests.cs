using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Actions;

public sealed class ActionRunnerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly StringWriter _stdout = new();

    public void Dispose() => _dir.Dispose();

    private ActionRunner Runner(Dictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["GITHUB_ACTIONS"] = "true",
            ["GITHUB_OUTPUT"] = _dir.File("output"),
            ["GITHUB_STEP_SUMMARY"] = _dir.File("summary"),
        };
        foreach (var (k, v) in extra ?? [])
        {
            environment[k] = v;
        }
        File.WriteAllText(environment["GITHUB_OUTPUT"], "");
        return new ActionRunner(environment, _stdout);
    }

    // How the runner reads GITHUB_OUTPUT: name=value lines, or name<<DELIMITER ... DELIMITER.
    private Dictionary<string, string> Outputs()
    {
        var outputs = new Dictionary<string, string>();
        var lines = File.ReadAllText(_dir.File("output")).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].IndexOf("<<", StringComparison.Ordinal) is > 0 and var at)
            {
                var (name, delimiter) = (lines[i][..at], lines[i][(at + 2)..]);
                var value = new List<string>();
                while (lines[++i] != delimiter)
                {
                    value.Add(lines[i]);
                }
                outputs[name] = string.Join('\n', value);
            }
            else if (lines[i].IndexOf('=') is > 0 and var eq)
            {
                outputs[lines[i][..eq]] = lines[i][(eq + 1)..];
            }
        }
        return outputs;
    }

    [Fact]
    public void Inputs_are_read_as_the_runner_names_them()
    {
        var runner = Runner(new() { ["INPUT_BASELINE-REF"] = "  origin/main ", ["INPUT_NOTEBOOKS"] = "a/*.ipynb\n\n# not this\n!a/skip.ipynb\n", ["INPUT_MY_INPUT"] = "x", ["INPUT_FLAG"] = "yes" });
        Assert.Equal("origin/main", runner.Input("baseline-ref"));
        Assert.Equal(["a/*.ipynb", "!a/skip.ipynb"], runner.ListInput("notebooks"));
        Assert.Equal("x", runner.Input("my input"));
        Assert.True(runner.BooleanInput("flag"));
        Assert.Null(runner.Input("absent"));
        var missing = Assert.Throws<MlopsException>(() => runner.RequiredInput("absent"));
        Assert.Contains("Input 'absent' is required", missing.Message);
        Assert.Contains("is not a boolean", Assert.Throws<MlopsException>(() => Runner(new() { ["INPUT_FLAG"] = "maybe" }).BooleanInput("flag")).Message);
    }

    [Fact]
    public void An_output_value_with_newlines_or_a_forged_delimiter_stays_one_value()
    {
        var runner = Runner();
        const string tricky = "line 1\nother=injected\nEOF\nghadelimiter_x";
        runner.SetOutput("passed", "true");
        runner.SetOutput("report", tricky);
        var outputs = Outputs();
        Assert.Equal(2, outputs.Count);
        Assert.Equal("true", outputs["passed"]);
        Assert.Equal(tricky, outputs["report"]);
        Assert.Throws<ArgumentException>(() => runner.SetOutput("bad name", "x"));
    }

    [Fact]
    public void Annotations_escape_data_and_properties_as_the_toolkit_does()
    {
        var runner = Runner();
        runner.Error("100% broken\nsecond line", new AnnotationPlace("data/a,b:c.csv", 12, 3), "Data: bad, really");
        Assert.Equal("::error file=data/a%2Cb%3Ac.csv,line=12,col=3,title=Data%3A bad%2C really::100%25 broken%0Asecond line\n", _stdout.ToString().Replace("\r\n", "\n"));
    }

    [Fact]
    public void A_masked_secret_is_hidden_in_later_annotations_outputs_and_the_summary()
    {
        var runner = Runner();
        runner.Mask("ghp_secret123");
        runner.Warning("token ghp_secret123 was refused");
        runner.AppendSummary("used ghp_secret123");
        runner.SetOutput("echo", "ghp_secret123");
        var stdout = _stdout.ToString();
        Assert.StartsWith("::add-mask::ghp_secret123", stdout);
        Assert.Equal(1, stdout.Split("ghp_secret123").Length - 1); // only the add-mask command itself
        Assert.DoesNotContain("ghp_secret123", File.ReadAllText(_dir.File("summary")));
        Assert.DoesNotContain("ghp_secret123", File.ReadAllText(_dir.File("output")));
    }

    [Fact]
    public void Off_a_runner_annotations_are_plain_lines_and_no_files_are_written()
    {
        var runner = new ActionRunner(new Dictionary<string, string>(), _stdout);
        runner.Mask("ghp_local");
        runner.Error("broken ghp_local", new AnnotationPlace("nb.ipynb", 7));
        runner.SetOutput("passed", "false");
        runner.AppendSummary("x");
        Assert.Equal("error: nb.ipynb:7: broken ***\n", _stdout.ToString().Replace("\r\n", "\n")); // no add-mask line with the secret
        var onRunner = new ActionRunner(new Dictionary<string, string> { ["GITHUB_ACTIONS"] = "true" }, _stdout);
        Assert.Contains("GITHUB_OUTPUT is not set", Assert.Throws<UnavailableException>(() => onRunner.SetOutput("a", "b")).Message);
    }

    [Fact]
    public void Text_printed_on_a_runner_never_starts_a_workflow_command()
    {
        var runner = Runner();
        runner.Log("done\n::add-mask::x\n  ::warning::y\r\nnote ##[error]z");
        runner.Log("::set-output name=a::b");
        var lines = _stdout.ToString().Split('\n');
        Assert.Equal(6, lines.Length); // five lines and the end
        Assert.All(lines, l => Assert.False(l.TrimStart().StartsWith("::", StringComparison.Ordinal) || l.Contains("##[", StringComparison.Ordinal), l));
        Assert.Contains("add-mask::x", lines[1]); // still there to read
    }

    [Fact]
    public void Each_line_of_a_multi_line_secret_is_hidden_in_what_is_printed()
    {
        var runner = Runner();
        runner.Mask("ghs_line0ne\r\nghs_lineTwo");
        runner.Log("refused ghs_lineTwo, then ghs_line0ne");
        Assert.EndsWith("refused ***, then ***\n", _stdout.ToString().Replace("\r\n", "\n"));
        Assert.Equal("error: token ***", LogText.Safe("error: token ghs_lineTwo"));

    }

    [Fact]
    public void The_error_handler_hides_every_line_of_a_secret_and_starts_no_workflow_command()
    {
        new ActionRunner(new Dictionary<string, string>(), _stdout).Mask("ghs_handlerOne\nghs_handlerTwo");
        var (output, error) = (new StringWriter(), new StringWriter());
        using (new MlopsNotebooks.Tracking.TrackingClient(_dir.File("mlops.db")))
        {
            // A store that exists, so that the message is about the run id, not the missing store.
        }
        // A message that quotes its input: the run id given is the second line of the secret, then a forged command.
        var code = MlopsNotebooks.Cli.MlopsCli.Run(["runs", "show", "ghs_handlerTwo\n::add-mask::x", "--tracking-uri", _dir.File("mlops.db")], output, error);
        Assert.Equal(1, code);
        Assert.DoesNotContain("ghs_handler", error.ToString());
        Assert.Contains("***", error.ToString());
        Assert.All(error.ToString().Split('\n'), l => Assert.False(l.TrimStart().StartsWith("::", StringComparison.Ordinal), l));
    }

    [Fact]
    public void Markdown_from_notebooks_cannot_break_a_table_or_inject_html()
    {
        Assert.Equal(@"a \| b \<script\> \*x\* \[l\](u)", Markdown.Cell("a | b <script> *x* [l](u)"));
        Assert.Equal("one  two", Markdown.Text("one\r\ntwo"));
    }
}
