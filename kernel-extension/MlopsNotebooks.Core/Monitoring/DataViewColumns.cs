using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlopsNotebooks.Monitoring;

/// <summary>
/// An ML.NET data view's scalar columns as drift columns: numbers (Single, Double, integers) numerical, text and
/// booleans categorical (booleans as true and false, as JSON writes them); key columns by their index. Vector and other
/// columns are left out (named in the skipped list).
/// </summary>
public static class DataViewColumns
{
    public static DataColumns Read(IDataView view, IEnumerable<string>? names = null) => Read(view, names, out _);

    public static DataColumns Read(IDataView view, IEnumerable<string>? names, out IReadOnlyList<string> skipped)
    {
        var wanted = (names ?? view.Schema.Where(c => !c.IsHidden).Select(c => c.Name)).ToList();
        var columns = new List<DataColumn>();
        var left = new List<string>();
        foreach (var name in wanted)
        {
            if (view.Schema.GetColumnOrNull(name) is not { } column)
            {
                throw new NotFoundException($"The data has no column {ModelRegistryNames.Quote(name)}.", $"Its columns: {string.Join(", ", view.Schema.Select(c => c.Name))}.");
            }
            if (Read(view, column) is { } read)
            {
                columns.Add(read);
            }
            else
            {
                left.Add(name);
            }
        }
        skipped = left;
        return new DataColumns(columns);
    }

    /// <summary>Whether drift reads a column of this type, and as which kind.</summary>
    public static ColumnKind? KindOf(DataViewType type) => type switch
    {
        _ when type == NumberDataViewType.Single || type == NumberDataViewType.Double || type == NumberDataViewType.Int32
            || type == NumberDataViewType.Int64 || type == NumberDataViewType.Int16 || type == NumberDataViewType.UInt32
            || type == NumberDataViewType.UInt64 || type == NumberDataViewType.Byte => ColumnKind.Numerical,
        TextDataViewType or BooleanDataViewType or KeyDataViewType => ColumnKind.Categorical,
        _ => null,
    };

    private static DataColumn? Read(IDataView view, DataViewSchema.Column column)
    {
        var type = column.Type;
        var name = column.Name;
        if (type == NumberDataViewType.Single)
        {
            return DataColumn.Numerical(name, view.GetColumn<float>(column).Select(x => float.IsFinite(x) ? (double)x : double.NaN).ToArray());
        }
        if (type == NumberDataViewType.Double)
        {
            return DataColumn.Numerical(name, view.GetColumn<double>(column).Select(x => double.IsFinite(x) ? x : double.NaN).ToArray());
        }
        if (type == NumberDataViewType.Int32)
        {
            return DataColumn.Numerical(name, view.GetColumn<int>(column).Select(x => (double)x).ToArray());
        }
        if (type == NumberDataViewType.Int64)
        {
            return DataColumn.Numerical(name, view.GetColumn<long>(column).Select(x => (double)x).ToArray());
        }
        if (type == NumberDataViewType.UInt32)
        {
            return DataColumn.Numerical(name, view.GetColumn<uint>(column).Select(x => (double)x).ToArray());
        }
        if (type is BooleanDataViewType)
        {
            return DataColumn.Categorical(name, view.GetColumn<bool>(column).Select(b => b ? "true" : "false").ToArray());
        }
        if (type is TextDataViewType)
        {
            return DataColumn.Categorical(name, view.GetColumn<ReadOnlyMemory<char>>(column).Select(t => t.Length == 0 ? null : t.ToString()).ToArray());
        }
        if (type is KeyDataViewType)
        {
            // Key 0 is ML.NET's missing value.
            return DataColumn.Categorical(name, view.GetColumn<uint>(column).Select(k => k == 0 ? null : k.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        }
        return null;
    }
}
