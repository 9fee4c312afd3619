using MlopsNotebooks.Monitoring;

namespace MlopsNotebooks.Tests.Monitoring;

/// <summary>
/// Profile mode against exact mode on the same data: within the bound profile mode states, for every test, on data
/// with and without shifts; exact for categories and for numbers with few values.
/// </summary>
public sealed class ProfileDriftTests
{
    private static double[] Normal(int n, double mean, double sd, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ =>
            mean + sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())).ToArray();
    }

    private static double[] Exponential(int n, double scale, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => -scale * Math.Log(1 - random.NextDouble())).ToArray();
    }

    private static (ColumnDrift Exact, ColumnDrift Profile) Both(DataColumn reference, DataColumn current, string test)
    {
        var whole = Reference.FromData(new DataColumns([reference]));
        var data = new DataColumns([current]);
        var options = new DriftOptions { Test = test };
        var exact = DriftAnalysis.Compare(whole, data, options).Columns[0];
        var profile = DriftAnalysis.Compare(new Reference { Profile = whole.Profile }, data, options with { Mode = DriftMode.Profile }).Columns[0];
        return (exact, profile);
    }

    public static TheoryData<string, string> Shapes()
    {
        var data = new TheoryData<string, string>();
        foreach (var shape in new[] { "same", "shifted", "wider", "skewed", "outside" })
        {
            foreach (var test in new[] { DriftTests.KolmogorovSmirnov, DriftTests.Wasserstein, DriftTests.JensenShannon, DriftTests.Psi })
            {
                data.Add(shape, test);
            }
        }
        return data;
    }

    private static double[] Current(string shape) => shape switch
    {
        "same" => Normal(200_000, 0, 1, 2),
        "shifted" => Normal(200_000, 0.3, 1, 3),
        "wider" => Normal(200_000, 0, 1.5, 4),
        "skewed" => Exponential(200_000, 1, 5),
        _ => Normal(200_000, 8, 1, 6), // entirely beyond the reference's range
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_continuous_columns_profile_figure_is_within_its_stated_bound_of_the_exact_one(string shape, string test)
    {
        var (exact, profile) = Both(DataColumn.Numerical("x", Normal(100_000, 0, 1, 1)), DataColumn.Numerical("x", Current(shape)), test);
        Assert.Equal(test, profile.Test);
        Assert.NotNull(profile.ErrorBound);
        Assert.True(Math.Abs(profile.Statistic!.Value - exact.Statistic!.Value) <= profile.ErrorBound!.Value + 1e-12,
            $"{shape} {test}: profile {profile.Statistic} exact {exact.Statistic} bound {profile.ErrorBound}");
        Assert.Null(exact.ErrorBound);
    }

    [Fact]
    public void The_bounds_on_undrifted_data_are_small_next_to_the_thresholds()
    {
        var reference = DataColumn.Numerical("x", Normal(100_000, 0, 1, 1));
        var current = DataColumn.Numerical("x", Normal(200_000, 0, 1, 2));
        // 1,000 quantile bins: D is known to about one bin's share; Wasserstein to about the range over 1,000 (in std units).
        Assert.True(Both(reference, current, DriftTests.KolmogorovSmirnov).Profile.ErrorBound <= 0.0015);
        Assert.True(Both(reference, current, DriftTests.Wasserstein).Profile.ErrorBound <= 0.02);
        var js = Both(reference, current, DriftTests.JensenShannon).Profile.ErrorBound;
        Assert.True(js <= 0.05, $"bound {js}");
    }

    [Theory]
    [InlineData("same", false)]
    [InlineData("shifted", true)]
    [InlineData("outside", true)]
    public void Profile_mode_gives_the_exact_verdict_when_the_figure_is_far_from_the_threshold(string shape, bool drifted)
    {
        var reference = DataColumn.Numerical("x", Normal(100_000, 0, 1, 1));
        var (exact, profile) = Both(reference, DataColumn.Numerical("x", Current(shape)), DriftTests.Auto);
        Assert.Equal(DriftTests.Wasserstein, profile.Test);
        Assert.Equal(drifted, exact.Drifted);
        Assert.Equal(drifted, profile.Drifted);
    }

    [Theory]
    [InlineData(DriftTests.Auto)]
    [InlineData(DriftTests.KolmogorovSmirnov)]
    [InlineData(DriftTests.Wasserstein)]
    [InlineData(DriftTests.JensenShannon)]
    [InlineData(DriftTests.Psi)]
    [InlineData(DriftTests.ChiSquare)]
    public void Numbers_with_few_values_are_counted_exactly_so_profile_mode_equals_exact_mode(string test)
    {
        var random = new Random(7);
        var reference = DataColumn.Numerical("calls", Enumerable.Range(0, 5000).Select(_ => (double)random.Next(0, 8)).ToArray());
        var current = DataColumn.Numerical("calls", Enumerable.Range(0, 3000).Select(_ => (double)random.Next(1, 10)).ToArray());
        var (exact, profile) = Both(reference, current, test);
        Assert.Equal(exact.Test, profile.Test);
        Assert.Equal(exact.Statistic!.Value, profile.Statistic!.Value, 1e-9);
        Assert.Equal(exact.Drifted, profile.Drifted);
        if (exact.PValue is { } p)
        {
            Assert.Equal(p, profile.PValue!.Value, 1e-9);
        }
    }

    [Theory]
    [InlineData(DriftTests.Auto, 800)]
    [InlineData(DriftTests.Auto, 5000)]
    [InlineData(DriftTests.JensenShannon, 5000)]
    [InlineData(DriftTests.Psi, 5000)]
    public void Categories_are_counted_exactly_so_profile_mode_equals_exact_mode(string test, int rows)
    {
        var random = new Random(8);
        string[] plans = ["basic", "pro", "team", "enterprise"];
        var reference = DataColumn.Categorical("plan", Enumerable.Range(0, rows).Select(_ => random.Next(10) == 0 ? null : plans[random.Next(3)]).ToArray());
        var current = DataColumn.Categorical("plan", Enumerable.Range(0, rows).Select(_ => plans[random.Next(4)]).ToArray());
        var (exact, profile) = Both(reference, current, test);
        Assert.Equal(exact.Test, profile.Test);
        Assert.Equal(exact.Statistic!.Value, profile.Statistic!.Value, 1e-12);
        Assert.Equal(exact.PValue, profile.PValue);
        Assert.Equal(0, profile.ErrorBound);
        Assert.Equal(exact.CurrentMissing, profile.CurrentMissing);
    }

    [Fact]
    public void A_stream_fed_in_batches_gives_the_same_report_as_the_whole_data()
    {
        var reference = Reference.FromData(new DataColumns([DataColumn.Numerical("x", Normal(50_000, 0, 1, 1)), DataColumn.Categorical("c", Enumerable.Range(0, 50_000).Select(i => (i % 3).ToString()).ToArray())]));
        var x = Normal(30_000, 0.2, 1, 2);
        var c = Enumerable.Range(0, 30_000).Select(i => (i % 4).ToString()).ToArray();
        var options = new DriftOptions { Mode = DriftMode.Profile };
        var whole = DriftAnalysis.Compare(reference, new DataColumns([DataColumn.Numerical("x", x), DataColumn.Categorical("c", c)]), options);
        var stream = new CurrentProfile(reference.Profile);
        for (var start = 0; start < x.Length; start += 7_000)
        {
            var end = Math.Min(x.Length, start + 7_000);
            stream.Add(new DataColumns([DataColumn.Numerical("x", x[start..end]), DataColumn.Categorical("c", c[start..end])]));
        }
        var streamed = DriftAnalysis.Compare(reference, stream, options);
        Assert.Equal(whole.CurrentRows, streamed.CurrentRows);
        Assert.Equal(whole.Columns.Select(d => (d.Test, d.Statistic, d.ErrorBound, d.Drifted)), streamed.Columns.Select(d => (d.Test, d.Statistic, d.ErrorBound, d.Drifted)));
    }

    [Fact]
    public void Profile_mode_counts_text_in_a_numerical_column_as_missing_and_says_so()
    {
        var reference = Reference.FromData(new DataColumns([DataColumn.Numerical("x", Normal(5_000, 0, 1, 1))]));
        var report = DriftAnalysis.Compare(reference, new DataColumns([DataColumn.Categorical("x", ["a", "b"])]), new DriftOptions { Mode = DriftMode.Profile });
        var column = Assert.Single(report.Columns);
        Assert.Null(column.Test);
        Assert.Equal(2, column.CurrentMissing);
        Assert.Contains("not numbers", column.Note);
        Assert.False(report.DatasetDrifted);
    }

    [Fact]
    public void A_reference_with_few_values_meeting_a_continuous_current_column_is_left_to_exact_mode_with_a_note()
    {
        var reference = Reference.FromData(new DataColumns([DataColumn.Numerical("x", Enumerable.Range(0, 2000).Select(i => (double)(i % 4)).ToArray())]));
        var current = new CurrentProfile(reference.Profile);
        // more distinct values than the stream counts one by one
        for (var batch = 0; batch < 3; batch++)
        {
            current.Add(new DataColumns([DataColumn.Numerical("x", Normal(40_000, 0, 1, batch))]));
        }
        var column = Assert.Single(DriftAnalysis.Compare(reference, current, new DriftOptions { Mode = DriftMode.Profile }).Columns);
        Assert.Null(column.Test);
        Assert.Contains("exact mode", column.Note);
    }

    [Fact]
    public void A_test_of_counts_on_a_continuous_column_is_refused_in_profile_mode_which_keeps_only_its_bins()
    {
        var reference = Reference.FromData(new DataColumns([DataColumn.Numerical("x", Normal(5_000, 0, 1, 1))]));
        var options = new DriftOptions { Mode = DriftMode.Profile, Test = DriftTests.ChiSquare };
        var error = Assert.ThrowsAny<MlopsException>(() => DriftAnalysis.Compare(reference, new DataColumns([DataColumn.Numerical("x", Normal(100, 0, 1, 2))]), options));
        Assert.Contains("compares categories", error.Message);
        Assert.NotNull(error.Hint);
    }
}
