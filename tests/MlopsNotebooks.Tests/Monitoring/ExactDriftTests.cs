using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Tests.Support;
using Xunit;
using static MlopsNotebooks.Tests.Monitoring.StatisticsTests;

namespace MlopsNotebooks.Tests.Monitoring;

public sealed class ExactDriftTests(SciPy scipy) : IClassFixture<SciPy>
{
    private static readonly DriftOptions Defaults = new();

    private static ExactColumn Numbers(params double[] values) => ExactColumn.From(DataColumn.Numerical("x", values));

    private static ExactColumn Categories(params string?[] values) => ExactColumn.From(DataColumn.Categorical("x", values));

    private static double[] Cycle(int count, int distinct, double offset = 0) => Enumerable.Range(0, count).Select(i => (double)(i % distinct) + offset).ToArray();

    [Theory]
    [InlineData(1000, 6, "ks")]
    [InlineData(1000, 5, "chisquare")]
    [InlineData(1000, 3, "chisquare")]
    [InlineData(1000, 2, "z")]
    [InlineData(1001, 6, "wasserstein")]
    [InlineData(1001, 5, "jensenshannon")]
    [InlineData(1001, 2, "jensenshannon")]
    public void The_default_test_of_a_numerical_column_is_evidentlys(int referenceRows, int distinct, string test)
    {
        var drift = ExactDrift.Compare(Numbers(Cycle(referenceRows, distinct)), Numbers(Cycle(300, distinct)), Defaults);
        Assert.Equal(test, drift.Test);
    }

    [Theory]
    [InlineData(1000, 7, "chisquare")]
    [InlineData(1000, 2, "z")]
    [InlineData(1001, 7, "jensenshannon")]
    public void The_default_test_of_a_categorical_column_is_evidentlys(int referenceRows, int distinct, string test)
    {
        var values = Cycle(referenceRows, distinct).Select(v => $"c{v}").ToArray();
        var drift = ExactDrift.Compare(Categories(values), Categories(values[..200]), Defaults);
        Assert.Equal(test, drift.Test);
    }

    [Fact]
    public void Distinct_values_of_the_reference_and_the_current_data_together_choose_the_test()
    {
        // Five values in the reference and a sixth in the current data: more than five together, so ks.
        var drift = ExactDrift.Compare(Numbers(Cycle(500, 5)), Numbers(Cycle(100, 6)), Defaults);
        Assert.Equal(DriftTests.KolmogorovSmirnov, drift.Test);
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.5, true)]
    public void Kolmogorov_smirnov_on_a_small_reference_gives_scipys_p_value_and_judges_it_at_five_percent(double shift, bool drifted)
    {
        var reference = Sample(41, 800);
        var current = Sample(42, 5000, shift);
        var expected = scipy.Call("ks_2samp", reference, current);

        var drift = ExactDrift.Compare(Numbers(reference), Numbers(current), Defaults);

        Assert.Equal(DriftTests.KolmogorovSmirnov, drift.Test);
        Assert.Equal(expected[0], drift.Statistic!.Value, 1e-9);
        Assert.Equal(expected[1], drift.PValue!.Value, 1e-9);
        Assert.Equal(drifted, drift.Drifted);
        Assert.Equal(0.05, drift.Threshold);
        Assert.Contains("scipy.stats.ks_2samp", drift.Convention);
        Assert.Contains("p ≤ 0.05", drift.Convention);
    }

    [Theory]
    [InlineData("wasserstein", 0.0)]
    [InlineData("wasserstein", 0.3)]
    [InlineData("jensenshannon", 0.0)]
    [InlineData("jensenshannon", 0.3)]
    [InlineData("psi", 0.0)]
    [InlineData("psi", 0.3)]
    public void Distances_on_a_large_reference_equal_evidentlys_on_numpy_and_scipy(string test, double shift)
    {
        var reference = Sample(51, 20000, decimals: 3);
        var current = Sample(52, 30000, shift, decimals: 3);
        var expected = scipy.Call($"evidently.{test}", reference, current)[0];

        var drift = ExactDrift.Compare(Numbers(reference), Numbers(current), Defaults with { Test = test });

        Assert.Equal(expected, drift.Statistic!.Value, 1e-9);
        Assert.Equal(expected >= 0.1, drift.Drifted);
        Assert.Null(drift.PValue);
        Assert.InRange(drift.Distribution!.Labels.Count, 2, ExactDrift.DistributionLabels);
    }

    [Theory]
    [InlineData("jensenshannon")]
    [InlineData("psi")]
    public void Distances_on_few_distinct_numbers_use_each_values_share_as_evidently_does(string test)
    {
        var reference = Cycle(3000, 4);
        var current = Cycle(2000, 6);
        var expected = scipy.Call($"evidently.{test}", reference, current)[0];

        var drift = ExactDrift.Compare(Numbers(reference), Numbers(current), Defaults with { Test = test });

        Assert.Equal(expected, drift.Statistic!.Value, 1e-9);
    }

    [Fact]
    public void Chi_squared_compares_current_counts_with_reference_counts_scaled_to_the_current_size()
    {
        var reference = Categories([.. Enumerable.Repeat("a", 50), .. Enumerable.Repeat("b", 30), .. Enumerable.Repeat("c", 20)]);
        var current = Categories([.. Enumerable.Repeat("a", 100), .. Enumerable.Repeat("b", 100), .. Enumerable.Repeat("c", 100)]);
        var expected = scipy.Call("chisquare", [100, 100, 100], [150, 90, 60]);

        var drift = ExactDrift.Compare(reference, current, Defaults);

        Assert.Equal(DriftTests.ChiSquare, drift.Test);
        Assert.Equal(expected[0], drift.Statistic!.Value, 1e-9);
        Assert.Equal(expected[1], drift.PValue!.Value, 1e-9);
        Assert.True(drift.Drifted);
    }

    [Fact]
    public void The_z_test_of_two_values_gives_evidentlys_two_proportion_p_value()
    {
        var reference = Categories([.. Enumerable.Repeat("no", 70), .. Enumerable.Repeat("yes", 30)]);
        var current = Categories([.. Enumerable.Repeat("no", 55), .. Enumerable.Repeat("yes", 45)]);
        // p1 = 0.3, p2 = 0.45, P = 0.375: Z = -0.15 / √(0.375 × 0.625 × 0.02) = -2.19089, p = 0.028460.
        var drift = ExactDrift.Compare(reference, current, Defaults);

        Assert.Equal(DriftTests.ZTest, drift.Test);
        Assert.Equal(-2.1908902300206643, drift.Statistic!.Value, 1e-9);
        Assert.Equal(0.02845973691631065, drift.PValue!.Value, 1e-9);
        Assert.True(drift.Drifted);
    }

    [Fact]
    public void The_distances_on_a_large_unshifted_reference_raise_no_alarm()
    {
        for (var t = 0; t < 20; t++)
        {
            var numbers = ExactDrift.Compare(Numbers(Sample(t, 5000)), Numbers(Sample(700 + t, 3000)), Defaults);
            var random = new Random(t);
            var categories = ExactDrift.Compare(Categories(Enumerable.Range(0, 5000).Select(_ => $"c{random.Next(8)}").ToArray()),
                Categories(Enumerable.Range(0, 3000).Select(_ => $"c{random.Next(8)}").ToArray()), Defaults);

            Assert.Equal((DriftTests.Wasserstein, false), (numbers.Test, numbers.Drifted));
            Assert.Equal((DriftTests.JensenShannon, false), (categories.Test, categories.Drifted));
        }
    }

    [Fact]
    public void A_threshold_in_the_options_replaces_the_tests_default()
    {
        var drift = ExactDrift.Compare(Numbers(Sample(61, 2000)), Numbers(Sample(62, 2000, 0.1)), Defaults with { Threshold = 0.5 });
        Assert.Equal(0.5, drift.Threshold);
        Assert.False(drift.Drifted);
        Assert.Contains("≥ 0.5", drift.Convention);
    }

    [Fact]
    public void An_empty_current_column_has_no_test_and_says_so()
    {
        var drift = ExactDrift.Compare(Numbers(Sample(1, 100)), Numbers(double.NaN, double.NaN), Defaults);
        Assert.Null(drift.Test);
        Assert.False(drift.Drifted);
        Assert.Equal("no values in the current data", drift.Note);
        Assert.Equal(2, drift.CurrentMissing);
    }

    [Fact]
    public void An_all_null_reference_column_has_no_test_and_says_so()
    {
        var drift = ExactDrift.Compare(Categories(null, null), Categories("a", null), Defaults);
        Assert.Null(drift.Test);
        Assert.Equal("no values in the reference data", drift.Note);
        Assert.Equal(1, drift.CurrentCount);
        Assert.Equal(1, drift.CurrentMissing);
    }

    [Fact]
    public void Constant_columns_give_defined_figures_and_a_note()
    {
        foreach (var test in new[] { "auto", "ks", "wasserstein", "chisquare", "z", "jensenshannon", "psi" })
        {
            var drift = ExactDrift.Compare(Numbers(Cycle(2000, 1, 3)), Numbers(Cycle(50, 1, 3)), Defaults with { Test = test });
            Assert.False(drift.Drifted, test);
            Assert.True(double.IsFinite(drift.Statistic!.Value), test);
            Assert.Contains("constant", drift.Note);
        }
    }

    [Fact]
    public void Categories_never_seen_in_training_are_counted_and_named_in_the_note()
    {
        var reference = Categories([.. Enumerable.Repeat("a", 600), .. Enumerable.Repeat("b", 600)]);
        var current = Categories(["a", "b", "new1", "new2", "new2", "new3", "new4", "new5", null]);

        var drift = ExactDrift.Compare(reference, current, Defaults);

        Assert.Equal(DriftTests.JensenShannon, drift.Test);
        Assert.Equal("5 categories never seen in training: new2, new1, new3 and 2 more.", drift.Note);
        Assert.True(drift.Drifted);
    }

    [Fact]
    public void Numbers_against_text_has_no_test_and_says_why()
    {
        var drift = ExactDrift.Compare(Numbers(1, 2, 3), Categories("a", "b"), Defaults);
        Assert.Null(drift.Test);
        Assert.Contains("numerical", drift.Note);
        Assert.Contains("text", drift.Note);
    }

    [Fact]
    public void A_hundred_thousand_distinct_categories_are_compared_with_a_capped_distribution()
    {
        var reference = Categories(Enumerable.Range(0, 100_000).Select(i => $"id-{i}").ToArray());
        var current = Categories(Enumerable.Range(50_000, 100_000).Select(i => $"id-{i}").ToArray());
        // Its speed is the benchmark's to measure (bench/drift.sh); here, what it answers.
        var drift = ExactDrift.Compare(reference, current, Defaults);

        Assert.Equal(DriftTests.JensenShannon, drift.Test);
        Assert.Equal(ExactDrift.DistributionLabels, drift.Distribution!.Labels.Count);
        Assert.Equal("other", drift.Distribution.Labels[^1]);
        Assert.Equal(1.0, drift.Distribution.Current.Sum(), 1e-9);
        Assert.Contains("50000 categories never seen in training", drift.Note);
    }

    [Fact]
    public void A_test_that_compares_numbers_refuses_a_categorical_column_with_a_hint()
    {
        var error = Assert.Throws<MlopsException>(() => ExactDrift.Compare(Categories("a"), Categories("b"), Defaults with { Test = "ks" }));
        Assert.Contains("ks", error.Message);
        Assert.NotNull(error.Hint);
    }

    [Fact]
    public void An_unknown_test_is_refused_with_the_known_ones_as_the_hint()
    {
        var error = Assert.Throws<MlopsException>(() => ExactDrift.Compare(Numbers(1), Numbers(2), Defaults with { Test = "anderson" }));
        Assert.Contains("jensenshannon", error.Hint);
    }

    [Fact]
    public void Missing_and_infinite_numbers_are_left_out_as_evidently_drops_them()
    {
        var column = Numbers(3, double.NaN, 1, double.PositiveInfinity, 2);
        Assert.Equal([1.0, 2.0, 3.0], column.Sorted!);
        Assert.Equal(2, column.Missing);
    }

    [Fact]
    public void A_numbers_category_key_is_its_round_trip_text()
    {
        Assert.Equal("0.1", ExactColumn.CategoryKey(0.1));
        Assert.Equal("1E+300", ExactColumn.CategoryKey(1e300));
        Assert.Equal(0.30000000000000004, double.Parse(ExactColumn.CategoryKey(0.1 + 0.2), System.Globalization.CultureInfo.InvariantCulture));
    }
}
