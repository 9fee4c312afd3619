using MlopsNotebooks.Search;

namespace MlopsNotebooks.Tests.Tracking;

public sealed class RunFilterTests
{
    [Fact]
    public void A_filter_parses_into_typed_conditions()
    {
        var filter = RunFilter.Parse("metrics.auc > 0.8 and params.trainer = 'FastTree' AND tags.`team name` != \"x\" and status IN ('finished', 'FAILED')");
        Assert.Collection(filter.Conditions,
            c => Assert.Equal(new FilterCondition(new SearchTerm(FilterEntity.Metric, "auc"), Comparator.Greater, 0.8), c),
            c => Assert.Equal(new FilterCondition(new SearchTerm(FilterEntity.Param, "trainer"), Comparator.Equal, "FastTree"), c),
            c => Assert.Equal(new FilterCondition(new SearchTerm(FilterEntity.Tag, "team name"), Comparator.NotEqual, "x"), c),
            c =>
            {
                Assert.Equal(new SearchTerm(FilterEntity.Attribute, "status"), c.Term);
                Assert.Equal(Comparator.In, c.Comparator);
                Assert.Equal(["FINISHED", "FAILED"], (IReadOnlyList<string>)c.Value);
            });
    }

    [Theory]
    [InlineData("metrics.train/loss <= -1.5e-3", "train/loss", -1.5e-3)]
    [InlineData("metric.f1-score>=1", "f1-score", 1.0)]
    [InlineData("metrics.\"r2\" = 0", "r2", 0.0)]
    public void Metric_keys_may_hold_slashes_dashes_and_quotes(string text, string key, double value)
    {
        var condition = Assert.Single(RunFilter.Parse(text).Conditions);
        Assert.Equal(key, condition.Term.Key);
        Assert.Equal(value, condition.Value);
    }

    [Fact]
    public void A_doubled_quote_inside_a_string_stands_for_itself()
    {
        Assert.Equal("it's", Assert.Single(RunFilter.Parse("params.note = 'it''s'").Conditions).Value);
    }

    [Theory]
    [InlineData("metrics.auc 0.8", 13, "expected a comparison")]
    [InlineData("metrics.auc > 'high'", 15, "is numeric; compare it with a number")]
    [InlineData("metrics.auc LIKE '0.%'", 13, "is numeric; use =")]
    [InlineData("params.trainer = FastTree", 18, "quote text values")]
    [InlineData("params.trainer > 'a'", 16, "is a string; use =")]
    [InlineData("params.trainer = 5", 18, "is a string; quote the value")]
    [InlineData("metrics.auc > 0.8 or metrics.f1 > 0.5", 19, "OR is not supported")]
    [InlineData("metrics.auc > 0.8 metrics.f1 > 0.5", 19, "expected AND")]
    [InlineData("colour.red = 'x'", 1, "unknown entity 'colour'")]
    [InlineData("attributes.size > 3", 12, "unknown run attribute 'size'")]
    [InlineData("params.x = 'open", 12, "never closed")]
    [InlineData("metrics. > 1", 9, "expected a key")]
    [InlineData("params.x IN 'a'", 13, "expected '('")]
    [InlineData("params.x IN ('a' 'b')", 18, "expected ',' or ')'")]
    [InlineData("status = 'DONE'", 10, "not a run status")]
    [InlineData("metrics.auc >", 14, "expected a value")]
    [InlineData("> 3", 1, "expected a term")]
    [InlineData("metrics.x > NaN", 13, "'NaN' is not a finite number")]
    [InlineData("metrics.x > Infinity", 13, "'Infinity' is not a finite number")]
    [InlineData("metrics.x <= -Infinity", 14, "'-Infinity' is not a finite number")]
    [InlineData("metrics.x = 1e999", 13, "'1e999' is not a finite number")]
    [InlineData("start_time > nan", 14, "'nan' is not a finite number")]
    public void A_bad_filter_says_what_is_wrong_and_where(string text, int position, string problem)
    {
        var error = Assert.Throws<FilterSyntaxException>(() => RunFilter.Parse(text));
        Assert.Equal(position, error.Position + 1);
        Assert.Contains(problem, error.Message);
        Assert.Contains($"position {position}:", error.Message);
        // The caret line points at the same column under the echoed filter.
        var lines = error.Message.Split('\n');
        Assert.Equal("  " + text, lines[1]);
        Assert.Equal(position + 1, lines[2].IndexOf('^'));
    }

    [Fact]
    public void Empty_filters_match_everything()
    {
        Assert.Empty(RunFilter.Parse(null).Conditions);
        Assert.Empty(RunFilter.Parse("  ").Conditions);
    }

    [Fact]
    public void Order_by_parses_keys_and_directions()
    {
        var keys = OrderBy.ParseList("metrics.auc DESC, params.trainer, attributes.start_time asc");
        Assert.Equal(
            [
                new OrderBy(new SearchTerm(FilterEntity.Metric, "auc"), true),
                new OrderBy(new SearchTerm(FilterEntity.Param, "trainer"), false),
                new OrderBy(new SearchTerm(FilterEntity.Attribute, "start_time"), false),
            ],
            keys);
        var error = Assert.Throws<FilterSyntaxException>(() => OrderBy.ParseList("metrics.auc sideways"));
        Assert.Contains("expected ASC, DESC", error.Message);
        Assert.StartsWith("Order-by syntax error", error.Message);
    }
}
