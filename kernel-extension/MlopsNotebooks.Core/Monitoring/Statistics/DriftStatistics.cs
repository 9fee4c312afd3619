using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace MlopsNotebooks.Monitoring.Statistics;

/// <summary>The two-sample Kolmogorov-Smirnov result: D, its two-sided p-value, and whether the p-value is exact.</summary>
public readonly record struct KolmogorovSmirnovResult(double Statistic, double PValue, bool Exact);

/// <summary>A test's statistic and its p-value.</summary>
public readonly record struct TestResult(double Statistic, double PValue);

/// <summary>
/// The drift statistics as pure functions over spans, each equal to SciPy 1.10.1's (or NumPy 1.24's) to rounding. Numbers
/// come sorted ascending with no NaN; shares and counts come in one order shared by both samples.
/// </summary>
public static class DriftStatistics
{
    /// <summary>Where scipy.stats.ks_2samp's method='auto' stops trying the exact p-value.</summary>
    public const int ExactKolmogorovSmirnovLimit = 10000;

    /// <summary>
    /// scipy.stats.ks_2samp(a, b) (two-sided, method auto): exact when neither sample has more than 10,000 values (D then
    /// rounded to the lattice of the two sizes, as SciPy returns it), else kstwo.sf(D, round(n1 n2 / (n1 + n2))); ties
    /// count as SciPy counts them (ECDFs compared at every value of either sample).
    /// </summary>
    public static KolmogorovSmirnovResult KolmogorovSmirnov(ReadOnlySpan<double> sortedA, ReadOnlySpan<double> sortedB)
    {
        RequireValues(sortedA.Length, sortedB.Length);
        var n1 = sortedA.Length;
        var n2 = sortedB.Length;
        double max = 0, min = 0;
        int i = 0, j = 0;
        while (i < n1 || j < n2)
        {
            var value = i < n1 && (j >= n2 || sortedA[i] <= sortedB[j]) ? sortedA[i] : sortedB[j];
            while (i < n1 && sortedA[i] <= value)
            {
                i++;
            }
            while (j < n2 && sortedB[j] <= value)
            {
                j++;
            }
            var difference = (double)i / n1 - (double)j / n2;
            max = Math.Max(max, difference);
            min = Math.Min(min, difference);
        }
        return KolmogorovSmirnov(Math.Max(Math.Clamp(-min, 0, 1), max), n1, n2);
    }

    /// <summary>ks_2samp's result for a D already known (profile mode computes D from bins): the p-value of D for samples of n1 and n2 values.</summary>
    public static KolmogorovSmirnovResult KolmogorovSmirnov(double d, long n1, long n2)
    {
        RequireValues(n1, n2);
        if (Math.Max(n1, n2) <= ExactKolmogorovSmirnovLimit)
        {
            var exact = Kolmogorov.ExactTwoSample(n1, n2, ref d);
            if (exact is { } p)
            {
                return new(d, Math.Clamp(p, 0, 1), true);
            }
        }
        double m = Math.Max(n1, n2), n = Math.Min(n1, n2);
        var en = (long)Math.Round(m * n / (m + n), MidpointRounding.ToEven);
        return new(d, Math.Clamp(Kolmogorov.TwoSidedSurvival(en, d), 0, 1), false);
    }

    /// <summary>scipy.stats.wasserstein_distance(u, v), unweighted: the area between the two ECDFs.</summary>
    public static double Wasserstein(ReadOnlySpan<double> sortedU, ReadOnlySpan<double> sortedV)
    {
        RequireValues(sortedU.Length, sortedV.Length);
        var nu = sortedU.Length;
        var nv = sortedV.Length;
        int i = 0, j = 0;
        var sum = 0.0;
        var previous = double.NaN;
        double previousGap = 0;
        while (i < nu || j < nv)
        {
            var value = i < nu && (j >= nv || sortedU[i] <= sortedV[j]) ? sortedU[i] : sortedV[j];
            if (!double.IsNaN(previous))
            {
                sum += previousGap * (value - previous);
            }
            while (i < nu && sortedU[i] <= value)
            {
                i++;
            }
            while (j < nv && sortedV[j] <= value)
            {
                j++;
            }
            previous = value;
            previousGap = Math.Abs((double)i / nu - (double)j / nv);
        }
        return sum;
    }

    /// <summary>
    /// scipy.stats.chisquare(f_obs, f_exp): Pearson's χ² and chi2.sf(χ², k - 1). An expected count of zero where one is
    /// observed gives χ² = ∞ and p = 0, as SciPy does; fewer than two categories leave nothing to test (NaN).
    /// </summary>
    public static TestResult ChiSquare(ReadOnlySpan<double> observed, ReadOnlySpan<double> expected)
    {
        if (observed.Length != expected.Length)
        {
            throw new ArgumentException("The observed and expected counts must have one entry per category.");
        }
        var statistic = 0.0;
        for (var k = 0; k < observed.Length; k++)
        {
            var difference = observed[k] - expected[k];
            statistic += difference * difference / expected[k];
        }
        var freedom = observed.Length - 1;
        if (freedom < 1 || double.IsNaN(statistic))
        {
            return new(statistic, double.NaN);
        }
        var p = double.IsPositiveInfinity(statistic) ? 0.0 : SpecialFunctions.GammaUpperRegularized(freedom / 2.0, statistic / 2.0);
        return new(statistic, Math.Clamp(p, 0, 1));
    }

    /// <summary>scipy.spatial.distance.jensenshannon(p, q) in the natural log: p and q are normalised to sum to one first.</summary>
    public static double JensenShannon(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        if (p.Length != q.Length)
        {
            throw new ArgumentException("The two distributions must have one share per bin.");
        }
        var sumP = Sum(p);
        var sumQ = Sum(q);
        double left = 0, right = 0;
        for (var k = 0; k < p.Length; k++)
        {
            var pk = p[k] / sumP;
            var qk = q[k] / sumQ;
            var mk = (pk + qk) / 2.0;
            left += RelativeEntropy(pk, mk);
            right += RelativeEntropy(qk, mk);
        }
        return Math.Sqrt((left + right) / 2.0);
    }

    // scipy.special.rel_entr.
    private static double RelativeEntropy(double x, double y) =>
        x > 0 && y > 0 ? x * Math.Log(x / y) : x == 0 && y >= 0 ? 0 : double.PositiveInfinity;

    /// <summary>
    /// Evidently's two-proportion Z test: the share of values other than the first key in each sample,
    /// Z = (p1 - p2) / √(P(1 - P)(1/n1 + 1/n2)) with P pooled, p = 2(1 - Φ(|Z|)).
    /// </summary>
    public static TestResult ZTest(long referenceOthers, long referenceCount, long currentOthers, long currentCount)
    {
        RequireValues(referenceCount, currentCount);
        var p1 = (double)referenceOthers / referenceCount;
        var p2 = (double)currentOthers / currentCount;
        var pooled = (p1 * referenceCount + p2 * currentCount) / (referenceCount + currentCount);
        var z = (p1 - p2) / Math.Sqrt(pooled * (1 - pooled) * (1.0 / referenceCount + 1.0 / currentCount));
        return new(z, 2 * (1 - Normal.CDF(0, 1, Math.Abs(z))));
    }

    /// <summary>Evidently's PSI: Σ (r - c) ln(r / c) over shares whose empty entries were floored (<see cref="FloorEmptyShares"/>).</summary>
    public static double PopulationStabilityIndex(ReadOnlySpan<double> reference, ReadOnlySpan<double> current)
    {
        if (reference.Length != current.Length)
        {
            throw new ArgumentException("The two distributions must have one share per bin.");
        }
        var sum = 0.0;
        for (var k = 0; k < reference.Length; k++)
        {
            sum += (reference[k] - current[k]) * Math.Log(reference[k] / current[k]);
        }
        return sum;
    }

    /// <summary>
    /// Evidently's get_binned_data(feel_zeroes=True): an empty share becomes 0.0001, or a millionth of the smallest
    /// non-empty share when that is itself at most 0.0001.
    /// </summary>
    /// <returns>The floor given to empty shares (0 when every share was empty).</returns>
    public static double FloorEmptyShares(Span<double> shares)
    {
        var smallest = double.PositiveInfinity;
        foreach (var share in shares)
        {
            if (share != 0)
            {
                smallest = Math.Min(smallest, share);
            }
        }
        if (double.IsPositiveInfinity(smallest))
        {
            return 0;
        }
        var floor = smallest <= 0.0001 ? smallest / 1e6 : 0.0001;
        for (var k = 0; k < shares.Length; k++)
        {
            if (shares[k] == 0)
            {
                shares[k] = floor;
            }
        }
        return floor;
    }

    /// <summary>np.std(values): the population standard deviation (two passes, as NumPy computes it).</summary>
    public static double StandardDeviation(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            return double.NaN;
        }
        var mean = Sum(values) / values.Length;
        var squares = 0.0;
        foreach (var value in values)
        {
            var deviation = value - mean;
            squares += deviation * deviation;
        }
        return Math.Sqrt(squares / values.Length);
    }

    /// <summary>
    /// np.histogram_bin_edges(concatenate([a, b]), bins="sturges"): ⌈range / (range / (log2(n) + 1))⌉ equal bins from the
    /// smallest to the largest value (±0.5 around a single value), edges from np.linspace.
    /// </summary>
    public static double[] SturgesEdges(ReadOnlySpan<double> sortedA, ReadOnlySpan<double> sortedB)
    {
        RequireValues(sortedA.Length + sortedB.Length, 1);
        var first = Math.Min(sortedA.IsEmpty ? double.PositiveInfinity : sortedA[0], sortedB.IsEmpty ? double.PositiveInfinity : sortedB[0]);
        var last = Math.Max(sortedA.IsEmpty ? double.NegativeInfinity : sortedA[^1], sortedB.IsEmpty ? double.NegativeInfinity : sortedB[^1]);
        return SturgesEdges(first, last, sortedA.Length + sortedB.Length);
    }

    /// <summary>The same edges from the two samples' smallest and largest values and their total size (profile mode knows no more).</summary>
    public static double[] SturgesEdges(double first, double last, long count)
    {
        RequireValues(count, 1);
        var range = last - first;
        if (first == last)
        {
            first -= 0.5;
            last += 0.5;
        }
        var width = range / (Math.Log2(count) + 1.0);
        var bins = width != 0 ? (int)Math.Ceiling((last - first) / width) : 1;
        var edges = new double[bins + 1];
        var step = (last - first) / bins;
        for (var k = 0; k < bins; k++)
        {
            edges[k] = k * step + first;
        }
        edges[bins] = last;
        return edges;
    }

    /// <summary>np.histogram(values, edges)[0] of sorted values: bins are [e_k, e_k+1), the last one closed.</summary>
    public static long[] Histogram(ReadOnlySpan<double> sorted, ReadOnlySpan<double> edges)
    {
        var counts = new long[edges.Length - 1];
        var previous = LowerBound(sorted, edges[0]);
        for (var k = 1; k < edges.Length; k++)
        {
            var next = k == edges.Length - 1 ? UpperBound(sorted, edges[k]) : LowerBound(sorted, edges[k]);
            counts[k - 1] = next - previous;
            previous = next;
        }
        return counts;
    }

    /// <summary>The index of the first value not less than <paramref name="value"/> (searchsorted side='left').</summary>
    public static int LowerBound(ReadOnlySpan<double> sorted, double value) => Bound(sorted, value, inclusive: false);

    /// <summary>The index of the first value greater than <paramref name="value"/> (searchsorted side='right').</summary>
    public static int UpperBound(ReadOnlySpan<double> sorted, double value) => Bound(sorted, value, inclusive: true);

    private static int Bound(ReadOnlySpan<double> sorted, double value, bool inclusive)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (sorted[middle] < value || (inclusive && sorted[middle] == value))
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }
        return low;
    }

    private static double Sum(ReadOnlySpan<double> values)
    {
        var sum = 0.0;
        foreach (var value in values)
        {
            sum += value;
        }
        return sum;
    }

    private static void RequireValues(long a, long b)
    {
        if (a == 0 || b == 0)
        {
            throw new ArgumentException("Both samples need at least one value.");
        }
    }
}
