using System.Globalization;

namespace MlopsNotebooks.Monitoring;

/// <summary>
/// Profile mode: a column's drift from the reference's profile and the current data's counts only. Categories and
/// numerical columns with few values are counted exactly, so their figures are exact. A continuous column is known
/// only per bin: the figure is computed with each bin's values spread evenly, and <see cref="ColumnDrift.ErrorBound"/>
/// is how far the exact figure can be from it, derived from where each bin's values could lie (the cumulative shares
/// at the bin edges are exact; between them they can be anywhere their bin allows). With the reference's 1,000
/// quantile bins the bound on KS's D is about the largest share in one bin (0.001 on undrifted data).
/// </summary>
internal static class ProfileComparison
{
    /// <summary>Masses (as shares of each side) at exactly one value (a point) or anywhere in [Low, High) (an interval).</summary>
    private readonly record struct Piece(double Low, double High, bool Point, double Reference, double Current);

    public static ColumnDrift Compare(ColumnProfile reference, CurrentColumn current, DriftOptions options)
    {
        var drift = new ColumnDrift
        {
            Column = reference.Name,
            Kind = reference.Kind,
            ReferenceCount = reference.Count,
            CurrentCount = current.Count,
            CurrentMissing = current.Missing,
        };
        if (current.Count == 0)
        {
            return drift with { Note = current.KindMismatch ? ValuesOfOtherKind(reference) : "no values in the current data" };
        }
        if (reference.Count == 0)
        {
            return drift with { Note = "no values in the reference" };
        }
        if (reference.Kind == ColumnKind.Categorical || reference.Edges is null && current.Other == 0 && CategoricalTest(reference, current, options))
        {
            var counted = Categorical(reference, current, options);
            return counted with { Note = Join(counted.Note, current.KindMismatch ? ValuesOfOtherKind(reference) : null) };
        }
        if (reference.Edges is null && current.Other > 0)
        {
            return drift with
            {
                Note = $"the reference has {reference.Distinct} distinct values, the current data more than {CurrentColumn.DistinctCap:N0}: profile mode cannot place them; compare in exact mode",
            };
        }
        var pieces = Pieces(reference, current);
        var distinct = reference.Edges is not null ? long.MaxValue : pieces.Count;
        var test = Choose(ColumnKind.Numerical, reference.Count, distinct, options);
        var threshold = options.Threshold ?? DriftTests.DefaultThreshold(test);
        var n1 = reference.Count;
        var n2 = current.Count;
        ColumnDrift result;
        switch (test)
        {
            case DriftTests.KolmogorovSmirnov:
            {
                var (low, high) = KsBounds(pieces);
                var d = (low + high) / 2;
                var p = ProfileStatistics.KsPValue(d, n1, n2);
                result = drift with
                {
                    Test = test, Statistic = d, PValue = p, Threshold = threshold, Drifted = p <= threshold, ErrorBound = (high - low) / 2,
                    Convention = $"two-sample Kolmogorov-Smirnov D from the profile's bins (scipy.stats.ks_2samp's p-value for that D); drift when p <= {F(threshold)}",
                };
                break;
            }
            case DriftTests.Wasserstein:
            {
                var norm = Math.Max(reference.StandardDeviation ?? 0, 0.001);
                var (estimate, low, high) = WassersteinBounds(pieces);
                result = drift with
                {
                    Test = test, Statistic = estimate / norm, Threshold = threshold, Drifted = estimate / norm >= threshold,
                    ErrorBound = Math.Max(estimate - low, high - estimate) / norm,
                    Convention = $"Wasserstein distance from the profile's bins over max(reference std, 0.001) (Evidently's wasserstein); drift when >= {F(threshold)}",
                };
                break;
            }
            case DriftTests.JensenShannon or DriftTests.Psi:
                result = Binned(test, threshold, reference, current, pieces, drift);
                break;
            default:
                throw new MlopsException($"The {test} test compares categories; column {reference.Name} is numerical with many values.",
                    "Use ks, wasserstein, jensenshannon or psi for it, or auto.");
        }
        return result with { Note = Join(result.Note, current.KindMismatch ? ValuesOfOtherKind(reference) : null) };
    }

    private static string ValuesOfOtherKind(ColumnProfile reference) =>
        $"some current values are not {(reference.Kind == ColumnKind.Numerical ? "numbers" : "categories")} as in the reference (counted as missing)";

    private static string? Join(string? a, string? b) => a is null ? b : b is null ? a : $"{a}; {b}";

    private static string F(double x) => x.ToString("G", CultureInfo.InvariantCulture);

    /// <summary>Evidently's default test for a column, or the one asked for.</summary>
    internal static string Choose(ColumnKind kind, long referenceCount, long distinct, DriftOptions options)
    {
        if (options.Test != DriftTests.Auto)
        {
            return options.Test;
        }
        if (referenceCount <= options.SmallReference)
        {
            return kind == ColumnKind.Numerical && distinct > options.CategoryLimit ? DriftTests.KolmogorovSmirnov
                : distinct > 2 ? DriftTests.ChiSquare : DriftTests.ZTest;
        }
        return kind == ColumnKind.Numerical && distinct > options.CategoryLimit ? DriftTests.Wasserstein : DriftTests.JensenShannon;
    }

    private static bool CategoricalTest(ColumnProfile reference, CurrentColumn current, DriftOptions options)
    {
        var distinct = reference.Frequencies!.Keys.Select(k => NumberKeys.TryParse(k, out var x) ? x : double.NaN).Concat(current.Values!.Keys).Distinct().LongCount();
        return Choose(ColumnKind.Numerical, reference.Count, distinct, options) is DriftTests.ChiSquare or DriftTests.ZTest;
    }

    /// <summary>Categories (or few numbers, keyed by their text) are counted exactly: the exact statistics apply.</summary>
    private static ColumnDrift Categorical(ColumnProfile reference, CurrentColumn current, DriftOptions options)
    {
        const string other = "(other)";
        var referenceCounts = new Dictionary<string, long>(reference.Frequencies!, StringComparer.Ordinal);
        var currentCounts = current.Categories is { } categories
            ? new Dictionary<string, long>(categories, StringComparer.Ordinal)
            : current.Values!.ToDictionary(p => NumberKeys.Key(p.Key), p => p.Value, StringComparer.Ordinal);
        string? note = null;
        if (reference.Other > 0 || current.Other > 0)
        {
            referenceCounts[other] = referenceCounts.GetValueOrDefault(other) + reference.Other;
            currentCounts[other] = currentCounts.GetValueOrDefault(other) + current.Other;
            note = "more categories than the profile counts one by one: the rarest are compared together as (other)";
        }
        var exact = ExactDrift.Compare(
            new ExactColumn { Name = reference.Name, Kind = ColumnKind.Categorical, Counts = referenceCounts, Missing = reference.Missing },
            new ExactColumn { Name = reference.Name, Kind = ColumnKind.Categorical, Counts = currentCounts, Missing = current.Missing },
            options);
        return exact with { Kind = reference.Kind, ErrorBound = note is null ? 0 : null, Note = Join(exact.Note, note) };
    }

    /// <summary>The column as pieces in ascending order: the values counted one by one, or the reference's bins with what fell below and above them.</summary>
    private static List<Piece> Pieces(ColumnProfile reference, CurrentColumn current)
    {
        double n1 = reference.Count, n2 = current.Count;
        var pieces = new List<Piece>();
        if (reference.Edges is { } edges)
        {
            var bins = current.Bins!;
            if (current.Below > 0)
            {
                pieces.Add(new Piece(current.Min, edges[0], false, 0, current.Below / n2));
            }
            for (var i = 0; i < bins.Count; i++)
            {
                pieces.Add(new Piece(edges[i], edges[i + 1], false, reference.Counts![i] / n1, bins[i] / n2));
            }
            if (current.Above > 0)
            {
                pieces.Add(new Piece(edges[^1], current.Max, false, 0, current.Above / n2));
            }
            return pieces;
        }
        var points = new SortedDictionary<double, (long Reference, long Current)>();
        foreach (var (key, count) in reference.Frequencies!)
        {
            NumberKeys.TryParse(key, out var x);
            points[x] = (count, 0);
        }
        foreach (var (x, count) in current.Values!)
        {
            points[x] = (points.GetValueOrDefault(x).Reference, count);
        }
        pieces.AddRange(points.Select(p => new Piece(p.Key, p.Key, true, p.Value.Reference / n1, p.Value.Current / n2)));
        return pieces;
    }

    /// <summary>Bounds on D = sup |F_ref - F_cur|: the left limits at every edge are exact; inside a bin each CDF can be anywhere between its values at the bin's ends.</summary>
    private static (double Low, double High) KsBounds(List<Piece> pieces)
    {
        double p = 0, q = 0, low = 0, high = 0;
        foreach (var piece in pieces)
        {
            if (!piece.Point)
            {
                high = Math.Max(high, Math.Max(p + piece.Reference - q, q + piece.Current - p));
            }
            p += piece.Reference;
            q += piece.Current;
            low = Math.Max(low, Math.Abs(p - q));
            high = Math.Max(high, Math.Abs(p - q));
        }
        return (low, high);
    }

    /// <summary>The integral of |F_ref - F_cur| with each bin's values spread evenly, and bounds on it.</summary>
    private static (double Estimate, double Low, double High) WassersteinBounds(List<Piece> pieces)
    {
        double p = 0, q = 0, estimate = 0, low = 0, high = 0;
        var end = pieces.Count > 0 ? pieces[0].Low : 0;
        foreach (var piece in pieces)
        {
            var gap = (piece.Low - end) * Math.Abs(p - q); // nothing lies between pieces: both CDFs are flat there
            estimate += gap;
            low += gap;
            high += gap;
            if (!piece.Point)
            {
                var width = piece.High - piece.Low;
                var d0 = p - q;
                var d1 = p + piece.Reference - (q + piece.Current);
                estimate += width * MeanAbsoluteOfLine(d0, d1);
                high += width * Math.Max(0, Math.Max(p + piece.Reference - q, q + piece.Current - p));
                low += width * Math.Max(0, Math.Max(q - (p + piece.Reference), p - (q + piece.Current)));
            }
            p += piece.Reference;
            q += piece.Current;
            end = piece.High;
        }
        return (estimate, low, Math.Max(high, estimate));
    }

    /// <summary>The mean of |d0 + t (d1 - d0)| over t in [0, 1].</summary>
    private static double MeanAbsoluteOfLine(double d0, double d1) =>
        d0 * d1 >= 0 ? (Math.Abs(d0) + Math.Abs(d1)) / 2 : (d0 * d0 + d1 * d1) / (2 * (Math.Abs(d0) + Math.Abs(d1)));

    /// <summary>Jensen-Shannon or PSI over Sturges bins of both samples (as Evidently bins), from the pieces.</summary>
    private static ColumnDrift Binned(string test, double threshold, ColumnProfile reference, CurrentColumn current, List<Piece> pieces, ColumnDrift drift)
    {
        var min = Math.Min(reference.Min!.Value, current.Min);
        var max = Math.Max(reference.Max!.Value, current.Max);
        var edges = ProfileStatistics.SturgesEdges(min, max, reference.Count + current.Count);
        var bins = edges.Length - 1;
        var r = new Share[bins];
        var c = new Share[bins];
        foreach (var piece in pieces)
        {
            var first = ProfileStatistics.HistogramBin(edges, piece.Low);
            // An interval's values lie below its upper edge (the last piece's are at most its upper edge, which is the maximum).
            var last = piece.Point ? first : ProfileStatistics.HistogramBin(edges, piece.High == max ? max : Math.BitDecrement(piece.High));
            if (first == last)
            {
                r[first].AddExact(piece.Reference);
                c[first].AddExact(piece.Current);
                continue;
            }
            var width = piece.High - piece.Low;
            for (var b = first; b <= last; b++)
            {
                var overlap = (Math.Min(piece.High, edges[b + 1]) - Math.Max(piece.Low, edges[b])) / width;
                r[b].AddSpread(piece.Reference, overlap);
                c[b].AddSpread(piece.Current, overlap);
            }
        }
        var rEstimate = r.Select(s => s.Estimate).ToArray();
        var cEstimate = c.Select(s => s.Estimate).ToArray();
        var (rFloored, rFloor) = ProfileStatistics.Floor(rEstimate);
        var (cFloored, cFloor) = ProfileStatistics.Floor(cEstimate);
        var rBoxes = r.Select(s => s.Floored(rFloor, 1.0 / reference.Count)).ToArray();
        var cBoxes = c.Select(s => s.Floored(cFloor, 1.0 / current.Count)).ToArray();
        double statistic, low, high;
        string convention;
        if (test == DriftTests.Psi)
        {
            statistic = ProfileStatistics.Psi(rFloored, cFloored);
            (low, high) = TermBounds(rBoxes, cBoxes, Psi);
            convention = $"PSI over Sturges bins of both samples from the profile's bins, empty bins floored (Evidently's psi); drift when >= {F(threshold)}";
        }
        else
        {
            statistic = ProfileStatistics.JensenShannon(rFloored, cFloored);
            // scipy normalises each side to sum 1: the boxes are divided by the sums' extremes.
            var (rLow, rHigh) = (rBoxes.Sum(b => b.Low), rBoxes.Sum(b => b.High));
            var (cLow, cHigh) = (cBoxes.Sum(b => b.Low), cBoxes.Sum(b => b.High));
            var (jsdLow, jsdHigh) = TermBounds(
                rBoxes.Select(b => (b.Low / rHigh, b.High / rLow)).ToArray(),
                cBoxes.Select(b => (b.Low / cHigh, b.High / cLow)).ToArray(),
                HalfJensenShannon);
            (low, high) = (Math.Sqrt(Math.Max(0, jsdLow)), Math.Sqrt(Math.Max(0, jsdHigh)));
            convention = $"Jensen-Shannon distance (natural log, scipy.spatial.distance.jensenshannon) over Sturges bins of both samples from the profile's bins, empty bins floored (Evidently's jensenshannon); drift when >= {F(threshold)}";
        }
        var labels = Enumerable.Range(0, bins).Select(b => $"[{edges[b].ToString("G4", CultureInfo.InvariantCulture)}, {edges[b + 1].ToString("G4", CultureInfo.InvariantCulture)}{(b == bins - 1 ? "]" : ")")}").ToList();
        return drift with
        {
            Test = test, Statistic = statistic, Threshold = threshold, Drifted = statistic >= threshold,
            ErrorBound = Math.Max(0, Math.Max(statistic - low, high - statistic)), Convention = convention,
            Distribution = new DistributionPair(labels, rEstimate, cEstimate),
        };
    }

    /// <summary>One Sturges bin's share: what certainly lies in it, and what may (from pieces that straddle its edges).</summary>
    private struct Share
    {
        private double _certain;
        private double _possible;
        private double _spread;

        public readonly double Estimate => _certain + _spread;

        public void AddExact(double mass) => _certain += mass;

        public void AddSpread(double mass, double fraction)
        {
            _possible += mass;
            _spread += mass * fraction;
        }

        /// <summary>
        /// The range the exact share can take once empty bins are floored: a share is a count over n, so it is 0 (then
        /// floored) or at least 1/n.
        /// </summary>
        public readonly (double Low, double High) Floored(double floor, double smallest)
        {
            var high = _certain + _possible;
            if (high == 0)
            {
                return (floor, floor);
            }
            return _certain > 0 ? (_certain, high) : (Math.Min(floor, smallest), Math.Max(floor, high));
        }
    }

    /// <summary>
    /// Bounds on a sum of per-bin terms f(p, q) that are jointly convex, zero where p = q, and grow as p and q move
    /// apart (PSI's and Jensen-Shannon's): the maximum of each term is at a corner of its box, the minimum is 0 when
    /// the two ranges overlap and otherwise at the two nearest ends.
    /// </summary>
    private static (double Low, double High) TermBounds((double Low, double High)[] p, (double Low, double High)[] q, Func<double, double, double> term)
    {
        double low = 0, high = 0;
        for (var i = 0; i < p.Length; i++)
        {
            var (a1, a2) = p[i];
            var (b1, b2) = q[i];
            high += Math.Max(Math.Max(term(a1, b1), term(a1, b2)), Math.Max(term(a2, b1), term(a2, b2)));
            low += a2 < b1 ? term(a2, b1) : b2 < a1 ? term(a1, b2) : 0;
        }
        return (low, high);
    }

    private static double Psi(double p, double q) => (p - q) * Math.Log(p / q);

    private static double HalfJensenShannon(double p, double q)
    {
        var m = (p + q) / 2;
        return (p * Math.Log(p / m) + q * Math.Log(q / m)) / 2;
    }
}

/// <summary>The statistics profile mode borrows from exact mode (SciPy's and Evidently's conventions).</summary>
internal static class ProfileStatistics
{
    public static double KsPValue(double d, long n1, long n2) => throw new NotImplementedException();

    public static double[] SturgesEdges(double min, double max, long n) => throw new NotImplementedException();

    public static int HistogramBin(double[] edges, double x) => throw new NotImplementedException();

    public static (double[] Floored, double Floor) Floor(double[] shares) => throw new NotImplementedException();

    public static double JensenShannon(double[] p, double[] q) => throw new NotImplementedException();

    public static double Psi(double[] p, double[] q) => throw new NotImplementedException();
}
