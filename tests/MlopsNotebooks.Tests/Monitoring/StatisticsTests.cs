using FsCheck;
using FsCheck.Fluent;
using MlopsNotebooks.Monitoring.Statistics;
using MlopsNotebooks.Tests.Support;
using Xunit;

namespace MlopsNotebooks.Tests.Monitoring;

public sealed class StatisticsTests(SciPy scipy) : IClassFixture<SciPy>
{
    private const double Tolerance = 1e-9;

    // Normal values (Box-Muller) shifted and scaled, rounded to `decimals` places so that small samples have ties.
    internal static double[] Sample(int seed, int count, double shift = 0, double scale = 1, int decimals = 6)
    {
        var random = new Random(seed);
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            values[i] = Math.Round(shift + scale * normal, decimals);
        }
        return values;
    }

    private static double[] Sorted(double[] values)
    {
        var copy = (double[])values.Clone();
        Array.Sort(copy);
        return copy;
    }

    private static void Near(double expected, double actual, string what)
    {
        Assert.True(Math.Abs(expected - actual) <= Tolerance || expected.Equals(actual), $"{what}: SciPy {expected:R}, ours {actual:R}");
    }

    [Theory]
    [InlineData(1, 40, 40, 0.0, 1)]     // equal sizes, ties
    [InlineData(2, 40, 40, 0.8, 1)]
    [InlineData(3, 25, 60, 0.3, 1)]     // unequal sizes, ties
    [InlineData(4, 300, 700, 0.0, 2)]
    [InlineData(5, 300, 700, 0.2, 2)]
    [InlineData(6, 1000, 1000, 0.1, 3)]
    [InlineData(7, 7, 3, 1.5, 0)]       // tiny samples, heavy ties
    [InlineData(8, 9999, 10000, 0.05, 6)]  // the largest exact size
    [InlineData(9, 3000, 4500, 0.0, 6)]
    public void Exact_kolmogorov_smirnov_equals_scipys_ks_2samp_with_and_without_a_shift(int seed, int n1, int n2, double shift, int decimals) =>
        KolmogorovSmirnovEqualsSciPys(Sample(seed, n1, decimals: decimals), Sample(seed + 100, n2, shift, decimals: decimals), exact: true);

    [Theory]
    [InlineData(11, 12000, 500, 0.0)]
    [InlineData(12, 12000, 500, 0.2)]
    [InlineData(13, 20000, 15000, 0.02)]
    [InlineData(14, 100000, 900, 0.0)]
    [InlineData(15, 10001, 60, 0.3)]    // round(en) below 141: DMTW, Pomeranz or Smirnov
    [InlineData(16, 200000, 150000, 0.005)]  // round(en) above 100,000: Pelz-Good
    public void Asymptotic_kolmogorov_smirnov_above_ten_thousand_values_equals_scipys(int seed, int n1, int n2, double shift) =>
        KolmogorovSmirnovEqualsSciPys(Sample(seed, n1), Sample(seed + 100, n2, shift), exact: false);

    private void KolmogorovSmirnovEqualsSciPys(double[] a, double[] b, bool exact)
    {
        var expected = scipy.Call("ks_2samp", a, b);

        var ks = DriftStatistics.KolmogorovSmirnov(Sorted(a), Sorted(b));

        Assert.Equal(exact, ks.Exact);
        Near(expected[0], ks.Statistic, "D");
        Near(expected[1], ks.PValue, "p");
    }

    [Fact]
    public void The_kolmogorov_distribution_equals_scipys_kstwo_sf_in_every_branch()
    {
        long[] sizes = [3, 10, 60, 140, 141, 500, 5000, 90909, 100001, 400000];
        foreach (var n in sizes)
        {
            foreach (var scaled in new[] { 0.2, 0.45, 0.6, 0.8, 0.9, 1.1, 1.5, 2.0, 3.0, 5.0, 8.0 })
            {
                var x = Math.Min(scaled / Math.Sqrt(n), 0.999);
                foreach (var point in new[] { x, 0.75 / n, 0.6 })
                {
                    var expected = scipy.Call("kstwo.sf", [], new { x = point, n })[0];
                    Near(expected, Kolmogorov.TwoSidedSurvival(n, point), $"kstwo.sf({point:R}, {n})");
                }
            }
        }
    }

    [Theory]
    [InlineData(21, 50, 80, 0.0)]
    [InlineData(22, 5000, 20000, 0.5)]
    [InlineData(23, 1000, 1000, 3.0)]
    public void Wasserstein_distance_equals_scipys(int seed, int n1, int n2, double shift)
    {
        var u = Sample(seed, n1, decimals: 2);
        var v = Sample(seed + 100, n2, shift, 2, decimals: 2);

        Near(scipy.Call("wasserstein_distance", u, v)[0], DriftStatistics.Wasserstein(Sorted(u), Sorted(v)), "distance");
        Near(scipy.Call("std", u)[0], DriftStatistics.StandardDeviation(u), "std");
    }

    [Theory]
    [InlineData(new double[] { 10, 20, 30, 40 }, new double[] { 12, 18, 33, 37 })]
    [InlineData(new double[] { 500, 300, 200 }, new double[] { 333.3, 333.3, 333.4 })]
    [InlineData(new double[] { 1, 2, 3, 4, 5, 6, 7 }, new double[] { 7, 6, 5, 4, 3, 2, 1 })]
    [InlineData(new double[] { 3, 0 }, new double[] { 1.5, 1.5 })]
    public void Chi_squared_equals_scipys_chisquare(double[] observed, double[] expected)
    {
        var reference = scipy.Call("chisquare", observed, expected);

        var chi = DriftStatistics.ChiSquare(observed, expected);

        Near(reference[0], chi.Statistic, "χ²");
        Near(reference[1], chi.PValue, "p");
    }

    [Fact]
    public void Chi_squared_of_a_value_the_reference_never_had_is_infinite_with_p_zero_as_in_scipy()
    {
        var reference = scipy.Call("chisquare", [5, 5, 1], [5.5, 5.5, 0]);

        var chi = DriftStatistics.ChiSquare([5, 5, 1], [5.5, 5.5, 0]);

        Assert.Equal(reference[0], chi.Statistic);
        Assert.Equal(reference[1], chi.PValue);
    }

    [Theory]
    [InlineData(new double[] { 0.1, 0.2, 0.7 }, new double[] { 0.3, 0.3, 0.4 })]
    [InlineData(new double[] { 1, 0, 0, 3 }, new double[] { 0, 2, 2, 0 })]
    [InlineData(new double[] { 0.25, 0.25, 0.25, 0.25 }, new double[] { 0.25, 0.25, 0.25, 0.25 })]
    [InlineData(new double[] { 5, 1e-9, 3 }, new double[] { 4, 0, 2 })]
    public void Jensen_shannon_distance_equals_scipys_in_the_natural_log(double[] p, double[] q)
    {
        Near(scipy.Call("jensenshannon", p, q)[0], DriftStatistics.JensenShannon(p, q), "distance");
    }

    [Theory]
    [InlineData(31, 100, 100, 0.0)]
    [InlineData(32, 1000, 50000, 1.0)]
    [InlineData(33, 1, 1, 0.0)]
    public void Sturges_bins_and_their_counts_equal_numpys(int seed, int n1, int n2, double shift)
    {
        var a = Sorted(Sample(seed, n1, decimals: 1));
        var b = Sorted(Sample(seed + 100, n2, shift, decimals: 1));
        var expectedEdges = scipy.Call("histogram_bin_edges", a, b);

        var edges = DriftStatistics.SturgesEdges(a, b);

        Assert.Equal(expectedEdges, edges);
        Assert.Equal(scipy.Call("histogram", a, edges), DriftStatistics.Histogram(a, edges).Select(c => (double)c));
        Assert.Equal(scipy.Call("histogram", b, edges), DriftStatistics.Histogram(b, edges).Select(c => (double)c));
    }

    [Fact]
    public void Sturges_bins_around_a_constant_column_span_one_unit_as_numpys_do()
    {
        double[] constant = [4, 4, 4];
        Assert.Equal(scipy.Call("histogram_bin_edges", constant, constant), DriftStatistics.SturgesEdges(constant, constant));
    }

    [Fact]
    public void Kolmogorov_smirnov_on_unshifted_data_raises_false_alarms_at_about_five_percent()
    {
        const int trials = 200;
        var alarms = 0;
        for (var t = 0; t < trials; t++)
        {
            var p = DriftStatistics.KolmogorovSmirnov(Sorted(Sample(1000 + t, 400)), Sorted(Sample(5000 + t, 600))).PValue;
            alarms += p <= 0.05 ? 1 : 0;
        }
        // Binomial(200, 0.05): mean 10, standard deviation 3.1; outside [2, 20] has probability below 0.5%.
        Assert.InRange(alarms, 2, 20);
    }

    [Fact]
    public void Kolmogorov_smirnov_detects_a_shift_of_a_third_of_a_standard_deviation()
    {
        var detected = Enumerable.Range(0, 50)
            .Count(t => DriftStatistics.KolmogorovSmirnov(Sorted(Sample(t, 400)), Sorted(Sample(900 + t, 600, 0.33))).PValue <= 0.05);
        Assert.True(detected >= 45, $"{detected} of 50 shifted samples detected");
    }

    [Fact]
    public void The_radix_sort_orders_doubles_as_array_sort_does()
    {
        Prop.ForAll(Gen.Choose(0, 6000).SelectMany(n => Gen.Elements(double.MinValue, -1e300, -1.5, -0.0, 0.0, 1e-310, 2.5, 1e300, double.MaxValue,
                    double.NegativeInfinity, double.PositiveInfinity).Or(ArbMap.Default.GeneratorFor<NormalFloat>().Select(f => f.Get)).ArrayOf(n)).ToArbitrary(),
                values =>
                {
                    var expected = (double[])values.Clone();
                    Array.Sort(expected);
                    var actual = (double[])values.Clone();
                    RadixSort.Sort(actual);
                    return expected.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(actual.Select(BitConverter.DoubleToInt64Bits))
                        || expected.SequenceEqual(actual);
                })
            .QuickCheckThrowOnFailure();
    }
}
