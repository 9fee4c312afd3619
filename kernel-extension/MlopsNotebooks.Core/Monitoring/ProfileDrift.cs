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
            foreach (var value in column.Categories!)
            {
                if (value is null)
                {
                    Missing++;
                }
                else if (_categories.TryGetValue(value, out var seen))
                {
                    _categories[value] = seen + 1;
                    Count++;
                }
                else if (_categories.Count < DistinctCap)
                {
                    _categories[value] = 1;
                    Count++;
                }
                else
                {
                    Other++;
                    Count++;
                }
            }
            return;
        }
        var edges = Reference.Edges;
        foreach (var x in column.Numbers!)
        {
            if (double.IsNaN(x) || double.IsInfinity(x))
            {
                Missing++;
                continue;
            }
            Count++;
            Min = Math.Min(Min, x);
            Max = Math.Max(Max, x);
            if (_bins is not null)
            {
                if (x < edges![0])
                {
                    Below++;
                }
                else if (x > edges[^1])
                {
                    Above++;
                }
                else
                {
                    _bins[Bin(edges, x)]++;
                }
            }
            else if (_values!.TryGetValue(x, out var seen))
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

    /// <summary>Adds a batch of rows; a column named like the reference's prediction feeds the prediction's drift.</summary>
    public void Add(DataColumns batch)
    {
        Rows += batch.Rows;
        foreach (var column in batch.Columns)
        {
            if (_columns.TryGetValue(column.Name, out var current))
            {
                current.Add(column);
                _seen.Add(column.Name);
            }
            else if (Prediction is not null && column.Name == Prediction.Reference.Name)
            {
                Prediction.Add(column);
                _seen.Add(column.Name);
            }
            else
            {
                Unknown.Add(column.Name);
            }
        }
    }

    /// <summary>Whether any batch held the column.</summary>
    public bool Saw(string name) => _seen.Contains(name);
}
