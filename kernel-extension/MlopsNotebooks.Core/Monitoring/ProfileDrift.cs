using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MlopsNotebooks.Monitoring;

/// <summary>
/// The current data of one column reduced to what profile mode compares, in memory that does not grow with the rows:
/// counts per category (capped), counts per value while a numerical column has few, and counts in the reference's
/// bins plus below and above its range, with the exact minimum and maximum.
/// </summary>
public sealed class CurrentColumn
{
    /// <summary>Distinct categories (or values) counted one by one; the rest are counted together.</summary>
    public const int DistinctCap = 100_000;

    private readonly Dictionary<string, long>? _categories;
    private readonly Dictionary<double, long>? _values;
    private readonly long[]? _bins;
    private readonly BinFinder? _finder;

    public CurrentColumn(ColumnProfile reference)
    {
        Reference = reference;
        if (reference.Kind == ColumnKind.Categorical)
        {
            _categories = new Dictionary<string, long>(StringComparer.Ordinal);
        }
        else
        {
            if (reference.Edges is { } edges)
            {
                _bins = new long[edges.Length - 1];
                _finder = new BinFinder(edges);
            }
            else
            {
                _values = new Dictionary<double, long>();
            }
        }
    }

    public ColumnProfile Reference { get; }

    public long Count { get; private set; }

    public long Missing { get; private set; }

    /// <summary>Values counted together because the distinct cap was reached (their range is <see cref="OtherMin"/>..<see cref="OtherMax"/>).</summary>
    public long Other { get; private set; }

    public double OtherMin { get; private set; } = double.PositiveInfinity;

    public double OtherMax { get; private set; } = double.NegativeInfinity;

    public double Min { get; private set; } = double.PositiveInfinity;

    public double Max { get; private set; } = double.NegativeInfinity;

    /// <summary>Values below the reference's minimum, and above its maximum.</summary>
    public long Below { get; private set; }

    public long Above { get; private set; }

    /// <summary>Whether a value of the other kind arrived (text in a numerical column): counted as missing, said in the report.</summary>
    public bool KindMismatch { get; private set; }

    public IReadOnlyDictionary<string, long>? Categories => _categories;

    public IReadOnlyDictionary<double, long>? Values => _values;

    public IReadOnlyList<long>? Bins => _bins;

    /// <summary>Adds a batch of the column's values.</summary>
    public void Add(DataColumn column)
    {
        if (column.Kind != Reference.Kind)
        {
            KindMismatch = true;
            Missing += column.Length;
            return;
        }
        if (_categories is not null)
        {
            AddCategories(column.Categories!);
        }
        else if (_bins is not null)
        {
            AddToBins(column.Numbers!);
        }
        else
        {
            AddValues(column.Numbers!);
        }
    }

    private void AddCategories(string?[] values)
    {
        foreach (var value in values)
        {
            if (value is null)
            {
                Missing++;
                continue;
            }
            Count++;
            if (_categories!.Count < DistinctCap)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(_categories, value, out _)++;
            }
            else if (_categories.TryGetValue(value, out var seen))
            {
                _categories[value] = seen + 1;
            }
            else
            {
                Other++;
            }
        }
    }

    // The hot loop of profile mode: counts in locals, the bin from the finder's table rather than a search of all edges.
    private void AddToBins(double[] values)
    {
        var edges = Reference.Edges!;
        var bins = _bins!;
        var finder = _finder!;
        double low = edges[0], high = edges[^1], min = Min, max = Max;
        long count = 0, missing = 0, below = 0, above = 0;
        foreach (var x in values)
        {
            if (!double.IsFinite(x))
            {
                missing++;
                continue;
            }
            count++;
            min = Math.Min(min, x);
            max = Math.Max(max, x);
            if (x < low)
            {
                below++;
            }
            else if (x > high)
            {
                above++;
            }
            else
            {
                bins[finder.Find(x)]++;
            }
        }
        (Count, Missing, Below, Above, Min, Max) = (Count + count, Missing + missing, Below + below, Above + above, min, max);
    }

    private void AddValues(double[] values)
    {
        foreach (var x in values)
        {
            if (!double.IsFinite(x))
            {
                Missing++;
                continue;
            }
            Count++;
            Min = Math.Min(Min, x);
            Max = Math.Max(Max, x);
            if (_values!.TryGetValue(x, out var seen))
            {
                _values[x] = seen + 1;
            }
            else if (_values.Count < DistinctCap)
            {
                _values[x] = 1;
            }
            else
            {
                Other++;
                OtherMin = Math.Min(OtherMin, x);
                OtherMax = Math.Max(OtherMax, x);
            }
        }
    }

    /// <summary>The bin of a value within [edges[0], edges[^1]]: [e_i, e_i+1), the last bin closed.</summary>
    internal static int Bin(double[] edges, double x)
    {
        var i = ReferenceProfiles.LowerBound(edges, x);
        // LowerBound finds the first edge >= x: x on an edge opens that edge's bin; otherwise it is in the bin before.
        if (i < edges.Length && edges[i] == x)
        {
            return Math.Min(i, edges.Length - 2);
        }
        return i - 1;
    }
}

/// <summary>
/// A value's bin among ascending edges in a step or two, the same as <see cref="CurrentColumn.Bin"/>: a table over equal
/// slices of [edges[0], edges[^1]] holds the first bin each slice can reach, the search runs only between a slice's
/// first and the next one's, and a walk of an edge or so corrects the slice's rounding.
/// </summary>
internal sealed class BinFinder
{
    private readonly double[] _edges;
    private readonly int[] _first;
    private readonly double _low;
    private readonly double _scale;
    private readonly int _lastBin;

    public BinFinder(double[] edges)
    {
        _edges = edges;
        _lastBin = edges.Length - 2;
        _low = edges[0];
        // Sixteen slices a bin (about 100 KB) leave a slice of a bell's crowded middle one candidate bin or two:
        // measured three times faster than four slices a bin, and about ten times faster than the plain search.
        var slices = 16 * (edges.Length - 1);
        var width = edges[^1] - edges[0];
        _scale = slices / width;
        if (!double.IsFinite(_scale))
        {
            // Edges within a few subnormals of each other: one slice, a plain search.
            (slices, _scale) = (1, 0);
        }
        _first = new int[slices + 1];
        for (var k = 0; k < slices; k++)
        {
            _first[k] = CurrentColumn.Bin(edges, Math.Min(edges[^1], _low + k * (width / slices)));
        }
        _first[slices] = _lastBin;
    }

    /// <summary>The bin of a value within [edges[0], edges[^1]].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(double x)
    {
        var slice = Math.Min((int)((x - _low) * _scale), _first.Length - 2);
        int i = _first[slice], end = _first[slice + 1];
        while (i < end)
        {
            var mid = (i + end + 1) >>> 1;
            if (_edges[mid] <= x)
            {
                i = mid;
            }
            else
            {
                end = mid - 1;
            }
        }
        while (i > 0 && _edges[i] > x)
        {
            i--;
        }
        while (i < _lastBin && _edges[i + 1] <= x)
        {
            i++;
        }
        return i;
    }
}

/// <summary>The current data of every reference column, fed in batches (a stream of any length in bounded memory).</summary>
public sealed class CurrentProfile
{
    private readonly Dictionary<string, CurrentColumn> _columns;

    public CurrentProfile(ReferenceProfile reference)
    {
        Reference = reference;
        _columns = reference.Columns.ToDictionary(c => c.Name, c => new CurrentColumn(c), StringComparer.Ordinal);
        if (reference.Prediction is { } prediction)
        {
            Prediction = new CurrentColumn(prediction);
        }
    }

    public ReferenceProfile Reference { get; }

    public long Rows { get; private set; }

    public CurrentColumn? Prediction { get; }

    /// <summary>Names of columns the batches held that the reference does not know.</summary>
    public SortedSet<string> Unknown { get; } = new(StringComparer.Ordinal);

    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public CurrentColumn? this[string name] => _columns.GetValueOrDefault(name);

    /// <summary>Batches with fewer values than this are counted on one thread: below it, starting the threads costs more than it saves.</summary>
    private const long ParallelValues = 100_000;

    /// <summary>Adds a batch of rows; a column named like the reference's prediction feeds the prediction's drift.</summary>
    public void Add(DataColumns batch)
    {
        Rows += batch.Rows;
        var fed = new List<(CurrentColumn Current, DataColumn Column)>(batch.Columns.Count);
        foreach (var column in batch.Columns)
        {
            if (_columns.TryGetValue(column.Name, out var current))
            {
                fed.Add((current, column));
                _seen.Add(column.Name);
            }
            else if (Prediction is not null && column.Name == Prediction.Reference.Name)
            {
                fed.Add((Prediction, column));
                _seen.Add(column.Name);
            }
            else
            {
                Unknown.Add(column.Name);
            }
        }
        // Each column has its own counts (a batch names a column once), so columns are counted on all cores at once.
        if ((long)batch.Rows * fed.Count < ParallelValues)
        {
            fed.ForEach(f => f.Current.Add(f.Column));
        }
        else
        {
            Parallel.ForEach(fed, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, f => f.Current.Add(f.Column));
        }
    }

    /// <summary>Whether any batch held the column.</summary>
    public bool Saw(string name) => _seen.Contains(name);
}
