using MlopsNotebooks.Monitoring;

namespace MlopsNotebooks.Tests.Monitoring;

/// <summary>
/// Profile mode's fast counting (a table over the reference's edges, columns counted on all cores) against a plain
/// binary search of the edges, one column at a time: the counts must be the same, value for value.
/// </summary>
public sealed class ProfileCountingTests
{
    public static TheoryData<string> Shapes() => ["bell", "long tail", "huge range", "clusters", "tiny range", "subnormal", "few repeated"];

    private static double[] Reference(string shape, Random random) => Enumerable.Range(0, 20_000).Select(_ =>
    {
        var u = random.NextDouble();
        var normal = Math.Sqrt(-2 * Math.Log(1 - u)) * Math.Cos(2 * Math.PI * random.NextDouble());
        return shape switch
        {
            "bell" => 50 + 10 * normal,
            "long tail" => -Math.Log(1 - u) * Math.Exp(3 * normal),
            "huge range" => Math.Exp(40 * normal),
            "clusters" => (u < 0.5 ? -1e6 : 1e6) + normal,
            "tiny range" => 1 + Math.Round(normal * 1e6) * (Math.BitIncrement(1.0) - 1), // edges an ulp or a few apart
            "subnormal" => Math.Round(Math.Abs(normal) * 1e5) * double.Epsilon,
            _ => Math.Round(normal * 300) / 7,
        };
    }).ToArray();

    /// <summary>Every edge, its neighbours either side, values spread over the range and beyond it, and values that are missing.</summary>
    private static double[] Current(double[] edges, Random random)
    {
        var values = new List<double>();
        foreach (var edge in edges)
        {
            values.AddRange([edge, Math.BitDecrement(edge), Math.BitIncrement(edge)]);
        }
        var (low, high) = (edges[0], edges[^1]);
        for (var i = 0; i < 50_000; i++)
        {
            values.Add(low + (high - low) * random.NextDouble());
            values.Add(edges[random.Next(edges.Length - 1)] + (edges[random.Next(edges.Length)] - edges[0]) * random.NextDouble() * 1e-3);
        }
        values.AddRange([low - 1, high + 1, double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.MaxValue, -double.MaxValue]);
        return [.. values.OrderBy(_ => random.Next())];
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_bin_table_finds_the_same_bin_as_a_binary_search_of_the_edges_for_every_value_in_range(string shape)
    {
        var random = new Random(7);
        var edges = Profiled(shape, random).Edges!;
        var finder = new BinFinder(edges);
        foreach (var x in Enumerable.Range(0, 10).SelectMany(seed => Current(edges, new Random(seed))).Where(x => x >= edges[0] && x <= edges[^1]))
        {
            Assert.True(CurrentColumn.Bin(edges, x) == finder.Find(x), $"{shape}: {x:R} is in bin {CurrentColumn.Bin(edges, x)}, the table says {finder.Find(x)}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_wide_batch_counted_on_all_cores_gives_the_counts_of_a_plain_search_one_value_at_a_time(string shape)
    {
        var random = new Random(11);
        var profile = Profiled(shape, random);
        var edges = profile.Edges!;
        var columns = Enumerable.Range(0, 6).Select(i => Current(edges, new Random(i)).Take(60_000).ToArray()).ToArray();
        var reference = new ReferenceProfile { Rows = 20_000, Columns = [.. Enumerable.Range(0, 6).Select(i => Renamed(profile, $"x{i}"))] };
        var counted = new CurrentProfile(reference);
        counted.Add(new DataColumns(columns.Select((values, i) => DataColumn.Numerical($"x{i}", values))));
        for (var i = 0; i < columns.Length; i++)
        {
            var current = counted[$"x{i}"]!;
            var finite = columns[i].Where(double.IsFinite).ToArray();
            var bins = new long[edges.Length - 1];
            foreach (var x in finite.Where(x => x >= edges[0] && x <= edges[^1]))
            {
                bins[CurrentColumn.Bin(edges, x)]++;
            }
            Assert.Equal(bins, current.Bins);
            Assert.Equal(finite.Count(x => x < edges[0]), current.Below);
            Assert.Equal(finite.Count(x => x > edges[^1]), current.Above);
            Assert.Equal((finite.Length, columns[i].Length - finite.Length), (current.Count, current.Missing));
            Assert.Equal((finite.Min(), finite.Max()), (current.Min, current.Max));
        }
    }

    private static ColumnProfile Profiled(string shape, Random random)
    {
        var profile = MlopsNotebooks.Monitoring.Reference.FromData(new DataColumns([DataColumn.Numerical("x", Reference(shape, random))])).Profile.Columns[0];
        Assert.NotNull(profile.Edges);
        return profile;
    }

    private static ColumnProfile Renamed(ColumnProfile c, string name) => new()
    {
        Name = name, Kind = c.Kind, Count = c.Count, Missing = c.Missing, Distinct = c.Distinct, Min = c.Min, Max = c.Max,
        Mean = c.Mean, StandardDeviation = c.StandardDeviation, Edges = c.Edges, Counts = c.Counts,
    };
}
