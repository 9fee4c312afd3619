using System.Xml.Linq;
using MlopsNotebooks.Display;
using MlopsNotebooks.Sweeps;

namespace MlopsNotebooks.Tests.Extension;

/// <summary>The sweep's live table: trial values and errors are input, so every one is encoded; the best row stands out.</summary>
public sealed class SweepHtmlTests
{
    private static SweepStatus Status(params SweepTrial[] trials) =>
        new("0123abcd", "<b>sweep</b>", "auc", Direction.Maximize, trials, Cap: 4, Deadline: null);

    private static SweepTrial Trial(int number, TrialState state, double? value, string kind, string? note = null) =>
        new(number, $"run{number}", new Dictionary<string, object> { ["FastTree.numberOfLeaves"] = 16L, ["trainer"] = kind }, state, value, TimeSpan.FromSeconds(2))
        {
            Note = note,
        };

    [Fact]
    public void Every_value_name_and_error_in_the_table_is_encoded_and_the_html_is_well_formed()
    {
        var html = SweepHtml.Live(Status(
            Trial(1, TrialState.Complete, 0.8, "<script>alert(1)</script>"),
            Trial(2, TrialState.Failed, null, "FastTree", note: "cell 3: <img src=x onerror=alert(2)>")));
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("<b>sweep", html);
        Assert.Contains("trainer=&lt;script&gt;alert(1)&lt;/script&gt;, numberOfLeaves=16", html);
        Assert.Contains("&lt;img src=x onerror=alert(2)&gt;", html);
        XDocument.Parse(html);
    }

    [Fact]
    public void The_best_complete_trial_is_highlighted_and_counted()
    {
        var html = SweepHtml.Live(Status(
            Trial(1, TrialState.Complete, 0.7, "FastTree"),
            Trial(2, TrialState.Complete, 0.9, "LightGbm"),
            Trial(3, TrialState.Pruned, 0.95, "FastTree"),
            Trial(4, TrialState.Running, null, "FastTree")));
        var rows = XDocument.Parse(html).Descendants("tr").Skip(1).ToList();
        Assert.Equal(["2"], rows.Where(r => (string?)r.Attribute("class") == "mlops-best").Select(r => r.Elements("td").First().Value));
        Assert.Contains("3/4 trials done, 1 running; best auc 0.9 (trial 2", html);
    }

    [Fact]
    public void The_best_so_far_curve_follows_the_direction_over_complete_trials_only()
    {
        var status = Status(Trial(1, TrialState.Complete, 0.7, "a"), Trial(2, TrialState.Failed, null, "a"), Trial(3, TrialState.Complete, 0.6, "a"),
            Trial(4, TrialState.Complete, 0.8, "a"));
        Assert.Equal([(1, 0.7), (3, 0.7), (4, 0.8)], SweepHtml.BestSoFar(status));
        Assert.Equal([(1, 0.7), (3, 0.6), (4, 0.6)], SweepHtml.BestSoFar(status with { Direction = Direction.Minimize }));
    }
}
