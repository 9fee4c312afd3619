using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MlopsNotebooks.Search;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Tracking;

/// <summary>A filter or order-by clause as someone might type it, or mistype it: pieces of the grammar and noise.</summary>
public sealed record FilterText(string Filter, string OrderBy)
{
    public override string ToString() => $"filter: {Filter} | order by: {OrderBy}";
}

public static class FilterTexts
{
    private static readonly string[] Terms =
    [
        "metrics.auc", "metrics.`f1 score`", "metric.train/loss", "params.trainer", "params.\"a b\"", "tags.team",
        "tags.`mlops.source.name`", "attributes.status", "status", "run_name", "attributes.run_id", "start_time",
        "end_time", "parent_run_id", "metrics.", "colour.red", "attributes.size", "`", "metrics.x.y", "1abc",
    ];

    private static readonly string[] Comparators =
        ["=", "==", "!=", "<>", "<", "<=", ">", ">=", "LIKE", "ilike", "IN", "NOT IN", "not", ">>", "=<", ""];

    private static readonly string[] Values =
    [
        "0.8", "-1.5e-3", "1e308", "1e999", "-1e999", "NaN", "nan", "Infinity", "-Infinity", "0x10", "1_000", "",
        "'FastTree'", "'it''s'", "'%Tree'", "'_'", "\"x\"", "'FINISHED'", "'running'", "'open", "('a', 'b')", "('FAILED')",
        "()", "('a' 'b')", "(1, 2)", "('a',", "'\u202e\u0000\u001b[2J'", "'\ud800'",
    ];

    private static readonly string[] Joins = ["and", "AND", "or", "", ",", "and and"];

    private static Gen<string> Condition() =>
        from term in Gen.Elements(Terms)
        from op in Gen.Elements(Comparators)
        from value in Gen.Elements(Values)
        select $"{term} {op} {value}";

    private static Gen<string> Noise() =>
        from chars in Gen.ListOf(Gen.Elements("ab1.'\"`()<>=!, _-/\\\t\n%\u0000\u202e€".ToCharArray()))
        select new string(chars.ToArray());

    private static Gen<string> Filter() =>
        from conditions in Gen.ListOf(Gen.Frequency((6, Condition()), (1, Noise())))
        from joins in Gen.ListOf(Gen.Elements(Joins), conditions.Count)
        select string.Concat(conditions.Select((c, i) => (i == 0 ? "" : $" {joins[i]} ") + c));

    private static Gen<string> Order() =>
        from keys in Gen.ListOf(from term in Gen.Elements(Terms) from direction in Gen.Elements("", "ASC", "desc", "sideways", ",") select $"{term} {direction}")
        select string.Join(", ", keys);

    public static Arbitrary<FilterText> Texts() =>
        Arb.From(from filter in Filter() from order in Order() select new FilterText(filter, order));
}

/// <summary>
/// Generated filters, valid and not: the parser returns a filter or throws <see cref="FilterSyntaxException"/>, and a
/// search on a real SQLite store with whatever parsed throws nothing but <see cref="MlopsException"/>.
/// </summary>
public sealed class FilterPropertyTests : IClassFixture<FilterPropertyTests.Store>
{
    private readonly Store _store;

    public FilterPropertyTests(Store store) => _store = store;

    /// <summary>A store with runs that have the keys the generated filters name.</summary>
    public sealed class Store : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public Store()
        {
            Client = new TrackingClient(_dir.File("mlops.db"));
            foreach (var (name, auc) in new[] { ("FastTree", 0.9), ("Sdca", 0.7) })
            {
                var run = Client.CreateRun("props", name, tags: new Dictionary<string, string> { ["team"] = "churn" });
                Client.LogBatch(run.RunId, [new Metric("auc", auc, 1, 1), new Metric("f1 score", auc, 1, 1)], [new Param("trainer", name)]);
                Client.SetTerminated(run.RunId);
            }
        }

        public TrackingClient Client { get; }

        public void Dispose()
        {
            Client.Dispose();
            _dir.Dispose();
        }
    }

    [Property(Arbitrary = [typeof(FilterTexts)], MaxTest = 500)]
    public void The_parser_returns_a_filter_or_a_syntax_error_and_nothing_else(FilterText text)
    {
        foreach (var parse in new Action[] { () => RunFilter.Parse(text.Filter), () => OrderBy.ParseList(text.OrderBy) })
        {
            try
            {
                parse();
            }
            catch (FilterSyntaxException)
            {
            }
        }
    }

    [Property(MaxTest = 500)]
    public void The_parser_returns_a_filter_or_a_syntax_error_for_any_string(string text)
    {
        try
        {
            RunFilter.Parse(text);
            OrderBy.ParseList(text);
        }
        catch (FilterSyntaxException)
        {
        }
    }

    [Property(Arbitrary = [typeof(FilterTexts)], MaxTest = 300)]
    public void A_search_with_any_filter_throws_nothing_but_a_user_error(FilterText text)
    {
        try
        {
            _store.Client.SearchRuns(["props"], text.Filter, text.OrderBy);
        }
        catch (MlopsException)
        {
        }
    }

    [Fact]
    public void Filters_past_the_stores_limits_are_syntax_errors_and_those_within_them_run()
    {
        string Conditions(int n) => string.Join(" and ", Enumerable.Range(0, n).Select(i => $"params.p{i} != 'x'"));
        string InList(int n) => "params.trainer IN (" + string.Join(", ", Enumerable.Range(0, n).Select(i => $"'v{i}'")) + ", 'FastTree')";

        // SQLite allows an expression depth of 1,000 and 32,766 bound values.
        foreach (var (filter, problem) in new[]
        {
            (Conditions(2_000), "at most 100 conditions"),
            (InList(40_000), "at most 10000 values"),
            ($"params.trainer LIKE '{new string('%', 60_000)}'", "at most 8000 characters"),
        })
        {
            var error = Assert.Throws<FilterSyntaxException>(() => _store.Client.SearchRuns(["props"], filter));
            Assert.Contains(problem, error.Message);
        }
        Assert.Throws<FilterSyntaxException>(() => _store.Client.SearchRuns(["props"], orderBy: string.Join(", ", Enumerable.Repeat("metrics.auc", 5_000))));

        Assert.Empty(_store.Client.SearchRuns(["props"], Conditions(RunFilter.MaxConditions)));
        Assert.Equal("FastTree", Assert.Single(_store.Client.SearchRuns(["props"], InList(RunFilter.MaxListValues - 1))).Name);
    }
}
