using System.Globalization;
using MlopsNotebooks.Monitoring.Statistics;

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
        if (reference.Kind == ColumnKind.Categorical)
        {
            return WithKindNote(Categorical(reference, current, options), reference, current);
        }
        if (reference.Edges is null && current.Other > 0)
        {
            return drift with
            {
                Note = $"the reference has {reference.Distinct} distinct values, the current data more than {CurrentColumn.DistinctCap:N0}: profile mode cannot place them; compare in exact mode",
            };
        }
        var pieces = Pieces(reference, current);
        // Bins hold many values each; counted values are each their own piece.
        var test = Choose(reference.Edges is not null ? long.MaxValue : pieces.Count, reference.Count, options);
        // Evidently compares few numbers value by value (chisquare, z; jensenshannon and psi up to 20 reference values): counted exactly, as categories.
        if (reference.Edges is null && (test is DriftTests.ChiSquare or DriftTests.ZTest
            || test is DriftTests.JensenShannon or DriftTests.Psi && reference.Distinct <= ExactDrift.BinnedAbove))
        {
            return WithKindNote(Categorical(reference, current, options with { Test = test }), reference, current);
        }
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
                var p = DriftStatistics.KolmogorovSmirnov(d, n1, n2).PValue;
                result = drift with
                {
                    Test = test, Statistic = d, PValue = p, Threshold = threshold, Drifted = p <= threshold, ErrorBound = (high - low) / 2,
                    Convention = $"two-sample Kolmogorov-Smirnov D from the profile's bins (scipy.stats.ks_2samp's p-value for that D); drift when p ≤ {F(threshold)}",
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
                    Convention = $"Wasserstein distance from the profile's bins over max(reference std, 0.001) (Evidently's wasserstein); drift when ≥ {F(threshold)}",
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
        return WithKindNote(result, reference, current);
    }

    private static string ValuesOfOtherKind(ColumnProfile reference) =>
        $"some current values are not {(reference.Kind == ColumnKind.Numerical ? "numbers" : "categories")} as in the reference (counted as missing)";

    private static string? Join(string? a, string? b) => a is null ? b : b is null ? a : $"{a}; {b}";

    private static string F(double x) => x.ToString("G", CultureInfo.InvariantCulture);

    private static string Choose(long distinct, long referenceCount, DriftOptions options) =>
        options.Test == DriftTests.Auto ? ExactDrift.DefaultTest(ColumnKind.Numerical, referenceCount, distinct, options) : options.Test;

    private static ColumnDrift WithKindNote(ColumnDrift drift, ColumnProfile reference, CurrentColumn current) =>
        drift with { Note = Join(drift.Note, current.KindMismatch ? ValuesOfOtherKind(reference) : null) };

    /// <summary>Categories (or few numbers, keyed by their text) are counted exactly: the exact statistics apply.</summary>
    private static ColumnDrift Categorical(ColumnProfile reference, CurrentColumn current, DriftOptions options)
    {
        const string other = "(other)";
        var referenceCounts = new Dictionary<string, long>(reference.Frequencies!, StringComparer.Ordinal);
        var currentCounts = current.Categories is { } categories
            ? new Dictionary<string, long>(categories, StringComparer.Ordinal)
            : current.Values!.ToDictionary(p => ExactColumn.CategoryKey(p.Key), p => p.Value, StringComparer.Ordinal);
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
            ExactColumn.TryParseCategoryKey(key, out var x);
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
        var edges = DriftStatistics.SturgesEdges(min, max, reference.Count + current.Count);
        var bins = edges.Length - 1;
        var r = new Share[bins];
        var c = new Share[bins];
        foreach (var piece in pieces)
        {
            var first = CurrentColumn.Bin(edges, piece.Low);
            // An interval's values lie below its upper edge (the last piece's are at most its upper edge, which is the maximum).
            var last = piece.Point ? first : CurrentColumn.Bin(edges, piece.High == max ? max : Math.BitDecrement(piece.High));
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
        double statistic, low, high;
        string convention;
        if (test == DriftTests.Psi)
        {
            // PSI floors empty shares (Evidently's feel_zeroes); Jensen-Shannon takes them as they are.
            var (rFloored, cFloored) = (rEstimate.ToArray(), cEstimate.ToArray());
            var rFloor = DriftStatistics.FloorEmptyShares(rFloored);
            var cFloor = DriftStatistics.FloorEmptyShares(cFloored);
            var rBoxes = r.Select(s => s.Floored(rFloor, 1.0 / reference.Count)).ToArray();
            var cBoxes = c.Select(s => s.Floored(cFloor, 1.0 / current.Count)).ToArray();
            statistic = DriftStatistics.PopulationStabilityIndex(rFloored, cFloored);
            (low, high) = TermBounds(rBoxes, cBoxes, Psi);
            convention = $"PSI over Sturges bins of both samples from the profile's bins, empty bins floored (Evidently's psi); drift when ≥ {F(threshold)}";
        }
        else
        {
            statistic = DriftStatistics.JensenShannon(rEstimate, cEstimate);
            var rBoxes = r.Select(s => s.Range).ToArray();
            var cBoxes = c.Select(s => s.Range).ToArray();
            // The exact shares are counts over n: they sum to one already, so scipy's normalising leaves them as they are.
            var (jsdLow, jsdHigh) = TermBounds(rBoxes, cBoxes, HalfJensenShannon);
            (low, high) = (Math.Sqrt(Math.Max(0, jsdLow)), Math.Sqrt(Math.Max(0, jsdHigh)));
            convention = $"Jensen-Shannon distance (natural log, scipy.spatial.distance.jensenshannon) over Sturges bins of both samples from the profile's bins (Evidently's jensenshannon); drift when ≥ {F(threshold)}";
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

        /// <summary>The range the exact share can take.</summary>
        public readonly (double Low, double High) Range => (_certain, _certain + _possible);

        public void AddSpread(double mass, double fraction)
        {
            _possible += mass;
            _spread += mass * fraction;
        }

        /// <summary>
        /// The range the exact share can take once empty bins are floored: a share is a count over n, so it is 0 or at
        /// least 1/n; an empty one is floored to 0.0001, or to a millionth of the smallest share when that is at most
        /// 0.0001 (Evidently's rule), which for the exact data can be as low as a millionth of 1/n.
        /// </summary>
        public readonly (double Low, double High) Floored(double floor, double smallest)
        {
            var high = _certain + _possible;
            if (_certain > 0)
            {
                return (_certain, high);
            }
            var lowestFloor = Math.Min(floor, smallest / 1e6);
            return high == 0 ? (lowestFloor, Math.Max(floor, 0.0001)) : (lowestFloor, Math.Max(Math.Max(floor, 0.0001), high));
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
        return (RelativeEntropy(p, m) + RelativeEntropy(q, m)) / 2;
    }

    // scipy.special.rel_entr: an empty share adds nothing.
    private static double RelativeEntropy(double x, double y) => x > 0 ? x * Math.Log(x / y) : 0;
}

