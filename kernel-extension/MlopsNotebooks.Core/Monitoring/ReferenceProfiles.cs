using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlopsNotebooks.Monitoring;

/// <summary>Builds column profiles from whole columns, and reads and writes <c>reference-profile.json</c>.</summary>
public static class ReferenceProfiles
{
    /// <summary>Quantile bins of a continuous column: the profile-mode bounds shrink as 1/Bins.</summary>
    public const int Bins = 1000;

    /// <summary>A numerical column with at most this many distinct values keeps the count of each (it is compared exactly).</summary>
    public const int DiscreteLimit = 1000;

    /// <summary>Categories kept per column; the rarest beyond are counted together as other.</summary>
    public const int CategoryCap = 10_000;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>The profile of one whole column.</summary>
    public static ColumnProfile Profile(ExactColumn column)
    {
        if (column.Kind == ColumnKind.Categorical)
        {
            var kept = column.Counts!.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(CategoryCap).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            return new ColumnProfile
            {
                Name = column.Name,
                Kind = ColumnKind.Categorical,
                Count = column.Count,
                Missing = column.Missing,
                Distinct = column.Counts!.Count,
                Frequencies = kept,
                Other = column.Counts!.Values.Sum() - kept.Values.Sum(),
            };
        }
        var sorted = column.Sorted!;
        var n = sorted.Length;
        var (distinct, runs) = Runs(sorted);
        double? mean = null, std = null;
        if (n > 0)
        {
            var sum = 0.0;
            foreach (var x in sorted)
            {
                sum += x;
            }
            var m = sum / n;
            var squares = 0.0;
            foreach (var x in sorted)
            {
                squares += (x - m) * (x - m);
            }
            (mean, std) = (m, Math.Sqrt(squares / n));
        }
        double[]? edges = null;
        long[]? counts = null;
        if (distinct > DiscreteLimit)
        {
            (edges, counts) = QuantileBins(sorted, Bins);
        }
        return new ColumnProfile
        {
            Name = column.Name,
            Kind = ColumnKind.Numerical,
            Count = n,
            Missing = column.Missing,
            Distinct = distinct,
            Min = n > 0 ? sorted[0] : null,
            Max = n > 0 ? sorted[^1] : null,
            Mean = mean,
            StandardDeviation = std,
            Edges = edges,
            Counts = counts,
            Frequencies = distinct <= DiscreteLimit ? runs!.ToDictionary(r => ExactColumn.CategoryKey(r.Value), r => r.Count, StringComparer.Ordinal) : null,
        };
    }

    /// <summary>Distinct values of a sorted array, and its runs (value, count) when there are at most <see cref="DiscreteLimit"/>.</summary>
    private static (long Distinct, List<(double Value, long Count)>? Runs) Runs(double[] sorted)
    {
        var runs = new List<(double, long)>();
        long distinct = 0;
        for (var i = 0; i < sorted.Length;)
        {
            var j = i + 1;
            while (j < sorted.Length && sorted[j] == sorted[i])
            {
                j++;
            }
            distinct++;
            if (runs is not null)
            {
                runs.Add((sorted[i], j - i));
                if (runs.Count > DiscreteLimit)
                {
                    runs = null;
                }
            }
            i = j;
        }
        return (distinct, runs);
    }

    /// <summary>The smallest and the largest values each open a bin of their own: tails are where a quantile bin is widest.</summary>
    public const int TailEdges = 256;

    /// <summary>
    /// Bins whose edges are the sorted values at every 1/<paramref name="bins"/> quantile and the <see cref="TailEdges"/>
    /// smallest and largest values (repeats merged), so each bin holds about the same share of the reference and the
    /// tails are known value by value: bin i is [e_i, e_i+1), the last also holds its upper edge (the maximum).
    /// </summary>
    internal static (double[] Edges, long[] Counts) QuantileBins(double[] sorted, int bins)
    {
        var n = sorted.Length;
        var edges = new List<double>(bins + 2 * TailEdges + 1);
        var tail = Math.Min(TailEdges, n);
        IEnumerable<long> positions = Enumerable.Range(0, tail).Select(i => (long)i)
            .Concat(Enumerable.Range(0, bins + 1).Select(k => (long)k * (n - 1) / bins))
            .Concat(Enumerable.Range(n - tail, tail).Select(i => (long)i))
            .Order();
        foreach (var position in positions)
        {
            var value = sorted[position];
            if (edges.Count == 0 || value > edges[^1])
            {
                edges.Add(value);
            }
        }
        var counts = new long[edges.Count - 1];
        var start = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            var end = i == counts.Length - 1 ? n : LowerBound(sorted, edges[i + 1]);
            counts[i] = end - start;
            start = end;
        }
        return ([.. edges], counts);
    }

    /// <summary>The first index whose value is not less than <paramref name="value"/>.</summary>
    internal static int LowerBound(ReadOnlySpan<double> sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    public static string ToJson(ReferenceProfile profile) => JsonSerializer.Serialize(profile, Json);

    /// <summary>
    /// Reads a profile; it comes from a bundle, so it is someone else's input: every count, edge and share is checked
    /// before drift trusts it. <paramref name="shown"/> names it in messages.
    /// </summary>
    public static ReferenceProfile FromJson(string text, string shown)
    {
        ReferenceProfile? profile;
        try
        {
            profile = JsonSerializer.Deserialize<ReferenceProfile>(text, Json);
        }
        catch (JsonException e)
        {
            throw new MlopsException($"{shown} is not a reference profile: {e.Message}", "Export the model version again (mlops models download); the profile is written when it is registered.");
        }
        if (profile is null)
        {
            throw new MlopsException($"{shown} is empty.", "Export the model version again.");
        }
        if (profile.Format > ReferenceProfile.CurrentFormat)
        {
            throw new MlopsException($"{shown} is in format {profile.Format}; this mlops reads format {ReferenceProfile.CurrentFormat}.", "Update mlops.");
        }
        var problem = profile.Columns.Select(c => Problem(c, profile.Rows)).FirstOrDefault(p => p is not null)
            ?? (profile.Prediction is { } prediction ? Problem(prediction, profile.Rows) : null)
            ?? (profile.Columns.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1) is { } twice ? $"column {twice.Key} is described twice" : null);
        if (problem is not null)
        {
            throw new MlopsException($"{shown} is not a usable reference profile: {problem}.", "Export the model version again; a profile is never edited by hand.");
        }
        return profile;
    }

    private static string? Problem(ColumnProfile c, long rows)
    {
        var name = c.Name.Length > 100 ? c.Name[..100] + "…" : c.Name;
        if (string.IsNullOrEmpty(c.Name))
        {
            return "a column has no name";
        }
        if (c.Count < 0 || c.Missing < 0 || c.Other < 0 || c.Distinct < 0 || c.Count + c.Missing > rows)
        {
            return $"column {name} has counts that do not add up";
        }
        if (c.Frequencies is { } frequencies && (frequencies.Values.Any(v => v < 0) || frequencies.Values.Sum() + c.Other != c.Count))
        {
            return $"column {name}'s category counts do not add up to its count";
        }
        if (c.Kind == ColumnKind.Numerical)
        {
            if (new[] { c.Min, c.Max, c.Mean, c.StandardDeviation }.Any(v => v is { } x && !double.IsFinite(x)) || c.StandardDeviation < 0 || c.Min > c.Max)
            {
                return $"column {name} has a range or moments that are not numbers";
            }
            if (c.Frequencies is { } numbers && numbers.Keys.Any(k => !ExactColumn.TryParseCategoryKey(k, out _)))
            {
                return $"column {name} counts values that are not numbers";
            }
            if (c.Edges is { } edges)
            {
                if (c.Counts is not { } counts || counts.Length != edges.Length - 1 || edges.Length < 2 || edges.Length > 100_001
                    || edges.Any(e => !double.IsFinite(e)) || edges.Zip(edges.Skip(1)).Any(p => p.First >= p.Second)
                    || counts.Any(x => x < 0) || counts.Sum() != c.Count || edges[0] != c.Min || edges[^1] != c.Max)
                {
                    return $"column {name}'s bins are not ascending edges with counts that add up";
                }
            }
            else if (c.Frequencies is null && c.Count > 0)
            {
                return $"column {name} has neither bins nor value counts";
            }
        }
        else if (c.Frequencies is null)
        {
            return $"column {name} has no category counts";
        }
        return null;
    }
}

