using System.Globalization;
using MlopsNotebooks.Monitoring.Statistics;

namespace MlopsNotebooks.Monitoring;

/// <summary>
/// One column kept whole for exact drift: a numerical column's present values sorted ascending, or a categorical
/// column's count per category; and how many values were missing.
/// </summary>
public sealed class ExactColumn
{
    public string Name { get; init; } = "";

    public ColumnKind Kind { get; init; }

    /// <summary>Present values, ascending (numerical columns).</summary>
    public double[]? Sorted { get; init; }

    /// <summary>Count per category (categorical columns).</summary>
    public Dictionary<string, long>? Counts { get; init; }

    public long Missing { get; init; }

    public long Count => Sorted?.LongLength ?? Counts!.Values.Sum();

    /// <summary>
    /// The column's present values, sorted or counted. NaN and ±∞ are missing (Evidently drops both before any test);
    /// null is a missing category.
    /// </summary>
    public static ExactColumn From(DataColumn column)
    {
        if (column.Numbers is { } numbers)
        {
            var present = new double[numbers.Length];
            var count = 0;
            foreach (var value in numbers)
            {
                if (double.IsFinite(value))
                {
                    present[count++] = value;
                }
            }
            Array.Resize(ref present, count);
            RadixSort.Sort(present);
            return new ExactColumn { Name = column.Name, Kind = ColumnKind.Numerical, Sorted = present, Missing = numbers.Length - count };
        }
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long missing = 0;
        foreach (var value in column.Categories!)
        {
            if (value is null)
            {
                missing++;
            }
            else
            {
                counts[value] = counts.GetValueOrDefault(value) + 1;
            }
        }
        return new ExactColumn { Name = column.Name, Kind = ColumnKind.Categorical, Counts = counts, Missing = missing };
    }

    /// <summary>
    /// The category key of a number (a numerical column with few distinct values is compared as categories): its shortest
    /// round-trip text, invariant culture, so that the same value always gives the same key.
    /// </summary>
    public static string CategoryKey(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The number a category key stands for (profiles store numerical columns' counts by key).</summary>
    public static bool TryParseCategoryKey(string key, out double value) =>
        double.TryParse(key, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}

/// <summary>
/// Exact drift of one column: the statistics computed from the whole reference and current values, equal to SciPy's,
/// the test chosen and judged as Evidently 0.4 chooses and judges it.
/// </summary>
public static class ExactDrift
{
    /// <summary>The most labels a distribution keeps for charts; the rarest categories beyond it are summed as "other".</summary>
    public const int DistributionLabels = 30;

    // Evidently bins a numerical column for jensenshannon and psi only when its reference has more distinct values.
    internal const int BinnedAbove = 20;

    private const int NamedUnseen = 3;

    /// <summary>Compares one column of the current data with the same column of the reference.</summary>
    public static ColumnDrift Compare(ExactColumn reference, ExactColumn current, DriftOptions options)
    {
        var result = new ColumnDrift
        {
            Column = reference.Name,
            Kind = reference.Kind,
            ReferenceCount = reference.Count,
            CurrentCount = current.Count,
            CurrentMissing = current.Missing,
        };
        if (reference.Kind != current.Kind)
        {
            return result with { Note = $"The reference is {Describe(reference.Kind)} but the current data is {Describe(current.Kind)}: no test compares them." };
        }
        if (current.Count == 0)
        {
            return result with { Note = "no values in the current data" };
        }
        if (reference.Count == 0)
        {
            return result with { Note = "no values in the reference data" };
        }
        var table = reference.Kind == ColumnKind.Numerical ? null : CategoryTable.Of(reference.Counts!, current.Counts!);
        var test = options.Test == DriftTests.Auto ? DefaultTest(reference, current, table, options) : Applicable(options.Test, reference.Kind);
        var threshold = options.Threshold ?? DriftTests.DefaultThreshold(test);
        var column = new Comparison(reference, current, table);
        var (statistic, p, convention, note) = test switch
        {
            DriftTests.KolmogorovSmirnov => column.KolmogorovSmirnov(),
            DriftTests.Wasserstein => column.Wasserstein(),
            DriftTests.ChiSquare => column.ChiSquare(),
            DriftTests.ZTest => column.ZTest(),
            DriftTests.JensenShannon => column.JensenShannon(),
            _ => column.Psi(),
        };
        var drifted = test switch
        {
            DriftTests.KolmogorovSmirnov => p <= threshold,
            DriftTests.ChiSquare or DriftTests.ZTest => p < threshold,
            _ => statistic >= threshold,
        };
        var rule = DriftTests.IsPValueTest(test)
            ? $"drift when p {(test == DriftTests.KolmogorovSmirnov ? "≤" : "<")} {Text(threshold)}"
            : $"drift when ≥ {Text(threshold)}";
        return result with
        {
            Test = test,
            Statistic = statistic,
            PValue = p,
            Threshold = threshold,
            Drifted = drifted,
            Convention = $"{convention}; {rule}",
            Note = Join(note, column.EdgeNote()),
            Distribution = column.Distribution(),
        };
    }

    // Evidently's get_default_stattest, with its limits as options.
    private static string DefaultTest(ExactColumn reference, ExactColumn current, CategoryTable? table, DriftOptions options)
    {
        var distinct = table?.Length ?? DistinctUnion(reference.Sorted!, current.Sorted!, options.CategoryLimit + 1);
        return DefaultTest(reference.Kind, reference.Count, distinct, options);
    }

    /// <summary>The test Evidently picks for a column of this kind, reference size and distinct values (reference and current together).</summary>
    internal static string DefaultTest(ColumnKind kind, long referenceCount, long distinct, DriftOptions options)
    {
        if (referenceCount <= options.SmallReference)
        {
            if (kind == ColumnKind.Numerical && distinct > options.CategoryLimit)
            {
                return DriftTests.KolmogorovSmirnov;
            }
            return distinct > 2 ? DriftTests.ChiSquare : DriftTests.ZTest;
        }
        return kind == ColumnKind.Numerical && distinct > options.CategoryLimit ? DriftTests.Wasserstein : DriftTests.JensenShannon;
    }

    private static string Applicable(string test, ColumnKind kind)
    {
        if (!DriftTests.All.Contains(test))
        {
            throw new MlopsException($"There is no drift test named {test}.", $"Use one of {string.Join(", ", DriftTests.All)}.");
        }
        if (kind == ColumnKind.Categorical && test is DriftTests.KolmogorovSmirnov or DriftTests.Wasserstein)
        {
            throw new MlopsException($"The {test} test compares numbers; it cannot compare a categorical column.",
                "Use auto, chisquare, z, jensenshannon or psi for categorical columns.");
        }
        return test;
    }

    /// <summary>Distinct values of two sorted arrays together, counted up to <paramref name="limit"/>.</summary>
    private static int DistinctUnion(double[] a, double[] b, int limit)
    {
        var distinct = 0;
        int i = 0, j = 0;
        while ((i < a.Length || j < b.Length) && distinct < limit)
        {
            var value = i < a.Length && (j >= b.Length || a[i] <= b[j]) ? a[i] : b[j];
            i = DriftStatistics.UpperBound(a, value);
            j = DriftStatistics.UpperBound(b, value);
            distinct++;
        }
        return distinct;
    }

    private static string Describe(ColumnKind kind) => kind == ColumnKind.Numerical ? "numerical" : "text (categorical)";

    internal static string Text(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string? Join(string? a, string? b) => a is null ? b : b is null ? a : $"{a} {b}";

    /// <summary>One column's reference and current values, with what the tests share (categories, Sturges bins).</summary>
    private sealed class Comparison(ExactColumn reference, ExactColumn current, CategoryTable? table)
    {
        private CategoryTable? _table = table;
        private double[]? _edges;

        private bool Numerical => reference.Kind == ColumnKind.Numerical;

        private CategoryTable Table => _table ??= CategoryTable.Of(reference.Sorted!, current.Sorted!);

        private double[] Edges => _edges ??= DriftStatistics.SturgesEdges(reference.Sorted, current.Sorted);

        // Evidently's get_binned_data: Sturges bins when numbers have more than 20 distinct reference values, shares per value otherwise.
        private bool Binned => Numerical && DistinctUnion(reference.Sorted!, [], BinnedAbove + 1) > BinnedAbove;

        public (double, double?, string, string?) KolmogorovSmirnov()
        {
            var ks = DriftStatistics.KolmogorovSmirnov(reference.Sorted, current.Sorted);
            return (ks.Statistic, ks.PValue, $"scipy.stats.ks_2samp, two-sided, method auto ({(ks.Exact ? "exact" : "asymptotic")} here)", null);
        }

        public (double, double?, string, string?) Wasserstein()
        {
            var deviation = DriftStatistics.StandardDeviation(reference.Sorted);
            var distance = DriftStatistics.Wasserstein(reference.Sorted, current.Sorted) / Math.Max(deviation, 0.001);
            return (distance, null, "scipy.stats.wasserstein_distance(reference, current) / max(np.std(reference), 0.001) (Evidently's wasserstein)", null);
        }

        public (double, double?, string, string?) ChiSquare()
        {
            var table = Table;
            var scale = (double)current.Count / reference.Count;
            var expected = new double[table.Length];
            for (var k = 0; k < expected.Length; k++)
            {
                expected[k] = table.Reference[k] * scale;
            }
            var chi = DriftStatistics.ChiSquare(table.Current, expected);
            const string convention = "scipy.stats.chisquare(current counts, reference counts × current size / reference size) over the values of both (Evidently's chisquare)";
            return table.Length < 2
                ? (0, 1, convention, "Both samples hold one value: nothing to compare.")
                : (chi.Statistic, chi.PValue, convention, null);
        }

        public (double, double?, string, string?) ZTest()
        {
            var table = Table;
            const string convention = "Evidently's two-proportion Z test (the smallest value against the rest), p = 2(1 - Φ(|Z|))";
            if (table.Length < 2)
            {
                return (0, 1, convention, "Both samples hold one value: nothing to compare.");
            }
            var first = table.First;
            var z = DriftStatistics.ZTest(reference.Count - (long)table.Reference[first], reference.Count, current.Count - (long)table.Current[first], current.Count);
            return (z.Statistic, z.PValue, convention, null);
        }

        public (double, double?, string, string?) JensenShannon()
        {
            var (r, c, over) = Shares();
            return (DriftStatistics.JensenShannon(r, c), null, $"scipy.spatial.distance.jensenshannon, natural log, {over} (Evidently's jensenshannon)", null);
        }

        public (double, double?, string, string?) Psi()
        {
            var (r, c, over) = Shares();
            DriftStatistics.FloorEmptyShares(r);
            DriftStatistics.FloorEmptyShares(c);
            return (DriftStatistics.PopulationStabilityIndex(r, c), null, $"Evidently's PSI, Σ (r - c) ln(r / c) {over}, empty shares floored", null);
        }

        private (double[] Reference, double[] Current, string Over) Shares()
        {
            if (Binned)
            {
                return (Shares(DriftStatistics.Histogram(reference.Sorted, Edges), reference.Count),
                    Shares(DriftStatistics.Histogram(current.Sorted, Edges), current.Count), "over Sturges bins of both samples");
            }
            var table = Table;
            return (Scaled(table.Reference, reference.Count), Scaled(table.Current, current.Count), "over the share of each value");
        }

        private static double[] Shares(long[] counts, long total) => Array.ConvertAll(counts, c => (double)c / total);

        private static double[] Scaled(double[] counts, long total) => Array.ConvertAll(counts, c => c / total);

        /// <summary>Edge cases the reader should know of: a constant reference, categories never seen in training.</summary>
        public string? EdgeNote()
        {
            if (Numerical)
            {
                return reference.Sorted![0] == reference.Sorted[^1] ? "The reference is constant (standard deviation 0)." : null;
            }
            var unseen = Table.Unseen();
            if (unseen.Count == 0)
            {
                return null;
            }
            var named = string.Join(", ", unseen.Take(NamedUnseen));
            var more = unseen.Count > NamedUnseen ? $" and {unseen.Count - NamedUnseen} more" : "";
            return $"{unseen.Count} {(unseen.Count == 1 ? "category" : "categories")} never seen in training: {named}{more}.";
        }

        public DistributionPair Distribution()
        {
            if (Numerical && (Binned || Table.Length > DistributionLabels))
            {
                var edges = Edges;
                var labels = new string[edges.Length - 1];
                for (var k = 0; k < labels.Length; k++)
                {
                    labels[k] = Text(edges[k]);
                }
                return new DistributionPair(labels, Shares(DriftStatistics.Histogram(reference.Sorted, edges), reference.Count),
                    Shares(DriftStatistics.Histogram(current.Sorted, edges), current.Count));
            }
            return Table.Distribution(reference.Count, current.Count);
        }
    }

    /// <summary>The union of two samples' values (categories, or a numerical column's distinct values) with each one's counts.</summary>
    private sealed class CategoryTable
    {
        private string[]? _texts;
        private double[]? _numbers;

        public double[] Reference { get; private init; } = [];

        public double[] Current { get; private init; } = [];

        public int Length => Reference.Length;

        /// <summary>The index of the smallest value (Evidently sorts the keys for its Z test).</summary>
        public int First
        {
            get
            {
                if (_numbers is not null)
                {
                    return 0;
                }
                var first = 0;
                for (var k = 1; k < _texts!.Length; k++)
                {
                    if (string.CompareOrdinal(_texts[k], _texts[first]) < 0)
                    {
                        first = k;
                    }
                }
                return first;
            }
        }

        private string Label(int k) => _texts?[k] ?? ExactColumn.CategoryKey(_numbers![k]);

        public static CategoryTable Of(Dictionary<string, long> reference, Dictionary<string, long> current)
        {
            var keys = new List<string>(reference.Count + current.Count);
            keys.AddRange(reference.Keys);
            foreach (var key in current.Keys)
            {
                if (!reference.ContainsKey(key))
                {
                    keys.Add(key);
                }
            }
            var texts = keys.ToArray();
            return new CategoryTable
            {
                _texts = texts,
                Reference = Array.ConvertAll(texts, k => (double)reference.GetValueOrDefault(k)),
                Current = Array.ConvertAll(texts, k => (double)current.GetValueOrDefault(k)),
            };
        }

        public static CategoryTable Of(double[] reference, double[] current)
        {
            List<double> values = [], referenceCounts = [], currentCounts = [];
            int i = 0, j = 0;
            while (i < reference.Length || j < current.Length)
            {
                var value = i < reference.Length && (j >= current.Length || reference[i] <= current[j]) ? reference[i] : current[j];
                var nextI = DriftStatistics.UpperBound(reference.AsSpan(i), value) + i;
                var nextJ = DriftStatistics.UpperBound(current.AsSpan(j), value) + j;
                values.Add(value);
                referenceCounts.Add(nextI - i);
                currentCounts.Add(nextJ - j);
                (i, j) = (nextI, nextJ);
            }
            return new CategoryTable { _numbers = [.. values], Reference = [.. referenceCounts], Current = [.. currentCounts] };
        }

        /// <summary>Categories in the current data that the reference never had, most frequent first.</summary>
        public List<string> Unseen() =>
            Enumerable.Range(0, Length).Where(k => Reference[k] == 0).OrderByDescending(k => Current[k]).ThenBy(Label, StringComparer.Ordinal)
                .Select(Label).ToList();

        /// <summary>Shares per category, the most frequent (both samples together) first, the rest beyond the cap as "other".</summary>
        public DistributionPair Distribution(long referenceTotal, long currentTotal)
        {
            var order = Enumerable.Range(0, Length)
                .OrderByDescending(k => Reference[k] / referenceTotal + Current[k] / currentTotal)
                .ThenBy(Label, StringComparer.Ordinal)
                .ToList();
            var shown = order.Count > DistributionLabels ? order.Take(DistributionLabels - 1).ToList() : order;
            if (_numbers is not null && order.Count <= DistributionLabels)
            {
                shown.Sort();
            }
            var labels = shown.Select(Label).ToList();
            var r = shown.Select(k => Reference[k] / referenceTotal).ToList();
            var c = shown.Select(k => Current[k] / currentTotal).ToList();
            if (shown.Count < order.Count)
            {
                labels.Add("other");
                r.Add(order.Skip(shown.Count).Sum(k => Reference[k]) / referenceTotal);
                c.Add(order.Skip(shown.Count).Sum(k => Current[k]) / currentTotal);
            }
            return new DistributionPair(labels, r, c);
        }
    }
}
