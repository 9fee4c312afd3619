using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Monitoring;

/// <summary>
/// `mlops monitor` and `mlops action monitor` as a user runs them: bad input is exit 2 (usage) or 1 (fixable) with a
/// message and a hint, checked before anything is read, never exit 70 and never a stack trace.
/// </summary>
public sealed class MonitorCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public MonitorCommandTests()
    {
        Directory.CreateDirectory(_dir.File("log"));
        Directory.CreateDirectory(_dir.File("bundle"));
    }

    public void Dispose() => _dir.Dispose();

    private static readonly Dictionary<string, string?> NoGitHub = new()
    {
        ["GITHUB_REPOSITORY"] = null, ["GITHUB_TOKEN"] = null, ["GITHUB_ACTIONS"] = null, ["MLOPS_PLOTLY_JS"] = null,
    };

    private (int Code, string Output, string Error) Mlops(IEnumerable<string> args, Dictionary<string, string?>? environment = null) =>
        Programs.Run(Programs.Mlops, args, _dir.Path, environment ?? NoGitHub);

    public static TheoryData<string[], string> UsageErrors => new()
    {
        { ["monitor", "--log", "log"], "one of them" },
        { ["monitor", "--bundle", "bundle", "--model", "churn@production", "--log", "log"], "one of them" },
        { ["monitor", "--bundle", "bundle"], "--log" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--mode", "fast"], "fast" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--test", "ttest"], "ttest" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--prometheus", "http://p:9090", "--metrics", "http://m:8080/metrics"], "not both" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--window", "1h", "--since", "2026-05-01T00:00:00Z"], "not both" },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public void A_monitor_command_line_that_does_not_fit_is_a_usage_error(string[] args, string said)
    {
        var (code, output, error) = Mlops(args);

        Assert.True(code == 2, $"exit {code}: {output}{error}");
        Assert.Contains(said, error);
        Assert.DoesNotContain("   at ", error);
    }

    public static TheoryData<string[], string> FixableErrors => new()
    {
        { ["monitor", "--bundle", "bundle", "--log", "no-such-log"], "The prediction log folder" },
        { ["monitor", "--bundle", "no-such-bundle", "--log", "log"], "The bundle folder" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--window", "a day"], "is not a duration" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--since", "yesterday"], "is not a time" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--since", "2026-05-02T00:00:00Z", "--until", "2026-05-01T00:00:00Z"], "not before its end" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--drift-share", "0"], "is not a share" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--threshold", "-1"], "is not a threshold" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--max-error-rate", "2"], "is not a share" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--max-p99-ms", "0"], "is not a latency" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--prometheus", "file:///etc/passwd"], "is not an http(s) URL" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--metrics-interval", "soon", "--metrics", "http://127.0.0.1:9/metrics"], "is not a duration" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--github-issue"], "GITHUB_REPOSITORY is not set" },
        { ["monitor", "--bundle", "bundle", "--log", "log", "--retrain-workflow", "retrain.yml"], "GITHUB_REPOSITORY is not set" },
    };

    [Theory]
    [MemberData(nameof(FixableErrors))]
    public void Bad_monitor_input_is_a_clear_error_with_exit_1_that_writes_no_report(string[] args, string said)
    {
        var (code, output, error) = Mlops([.. args, "--report", "report"]);

        Assert.True(code == 1, $"exit {code}: {output}{error}");
        Assert.Contains(said, error);
        Assert.Equal(2, error.Trim().Split('\n').Length); // the message and its hint
        Assert.False(Directory.Exists(_dir.File("report")));
    }

    [Fact]
    public void The_github_token_must_come_with_the_repository_and_is_never_printed()
    {
        var (code, _, error) = Mlops(["monitor", "--bundle", "bundle", "--log", "log", "--github-issue"],
            new Dictionary<string, string?>(NoGitHub) { ["GITHUB_REPOSITORY"] = "acme/churn" });
        var (badRepo, _, badError) = Mlops(["monitor", "--bundle", "bundle", "--log", "log", "--github-issue"],
            new Dictionary<string, string?>(NoGitHub) { ["GITHUB_REPOSITORY"] = "acme", ["GITHUB_TOKEN"] = "ghs_secret_value" });

        Assert.Equal(1, code);
        Assert.Contains("GITHUB_TOKEN is not set", error);
        Assert.Equal(1, badRepo);
        Assert.Contains("not owner/name", badError);
        Assert.DoesNotContain("ghs_secret_value", badError);
    }

    [Fact]
    public void The_monitor_action_needs_the_log_and_one_of_bundle_and_model()
    {
        var inputs = new Dictionary<string, string?>(NoGitHub) { ["GITHUB_WORKSPACE"] = _dir.Path };
        var (noLog, _, noLogError) = Mlops(["action", "monitor"], inputs);
        var (both, _, bothError) = Mlops(["action", "monitor"], new Dictionary<string, string?>(inputs)
        {
            ["INPUT_LOG"] = "log", ["INPUT_BUNDLE"] = "bundle", ["INPUT_MODEL"] = "churn@production",
        });
        var (share, _, shareError) = Mlops(["action", "monitor"], new Dictionary<string, string?>(inputs)
        {
            ["INPUT_LOG"] = "log", ["INPUT_BUNDLE"] = "bundle", ["INPUT_DRIFT-SHARE"] = "half",
        });

        Assert.Equal(1, noLog);
        Assert.Contains("Input 'log' is required", noLogError);
        Assert.Equal(1, both);
        Assert.Contains("one of the inputs bundle and model", bothError);
        Assert.Equal(1, share);
        Assert.Contains("The input drift-share is 'half', not a number", shareError);
    }
}
