using Microsoft.ML;

namespace MlopsNotebooks.Monitoring;

/// <summary>What drift is asked to compare, as a user names it: a reference CSV, a bundle folder or a registered version; current data as a CSV or a data view.</summary>
public static class DriftInputs
{
    /// <summary>Rows read at a time when a CSV is streamed (profile mode).</summary>
    private const int BatchRows = 65_536;

    /// <summary>
    /// The reference named by <paramref name="reference"/>: a CSV file (profiled whole here), an export bundle folder,
    /// or a registered version (name, name/3, name@alias) looked up in <paramref name="registry"/>.
    /// </summary>
    public static Reference Resolve(string reference, Func<Registry.ModelRegistry> registry)
    {
        if (File.Exists(reference))
        {
            return Reference.FromData(CsvColumns.Read(reference));
        }
        if (Directory.Exists(reference))
        {
            return Reference.Load(reference);
        }
        if (reference.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || reference.Contains(Path.DirectorySeparatorChar))
        {
            throw new NotFoundException($"The reference {reference} does not exist.", "Name a CSV file, an export bundle folder, or a registered version (name@alias).");
        }
        var models = registry();
        var version = models.Get(reference);
        return models.Reference(version) ?? throw new NotFoundException(
            $"{version} was registered without reference data, so it has nothing to compare with.",
            "Compare with the training data as a CSV instead (mlops drift train.csv current.csv), or register the model again with its data (--reference).");
    }

    /// <summary>Each reference column's kind, so current data is read as the reference was (a column of numbers in text stays numbers).</summary>
    public static IReadOnlyDictionary<string, ColumnKind> Kinds(Reference reference)
    {
        var kinds = reference.Profile.Columns.ToDictionary(c => c.Name, c => c.Kind, StringComparer.Ordinal);
        if (reference.Profile.Prediction is { } prediction)
        {
            kinds.TryAdd(prediction.Name, prediction.Kind);
        }
        return kinds;
    }

    /// <summary>Compares a CSV file with the reference: read whole in exact mode, streamed in profile mode (memory stays at one batch).</summary>
    public static DriftReport CompareCsv(Reference reference, string csv, DriftOptions options)
    {
        if (options.Mode == DriftMode.Exact)
        {
            return DriftAnalysis.Compare(reference, CsvColumns.Read(csv, Kinds(reference)), options);
        }
        var current = new CurrentProfile(reference.Profile);
        var kinds = Kinds(reference);
        CsvColumns.Stream(csv, kinds, BatchRows, current.Add);
        foreach (var name in CsvColumns.Columns(csv).Where(n => !kinds.ContainsKey(n)))
        {
            current.Unknown.Add(name);
        }
        return DriftAnalysis.Compare(reference, current, options);
    }

    /// <summary>Compares a data view (a data frame, a loaded CSV, a model's scored output) with the reference.</summary>
    public static DriftReport CompareDataView(Reference reference, IDataView current, DriftOptions options)
    {
        var kinds = Kinds(reference);
        var columns = DataViewColumns.Read(current, current.Schema.Where(c => !c.IsHidden && kinds.ContainsKey(c.Name)).Select(c => c.Name));
        var report = DriftAnalysis.Compare(reference, columns, options);
        var unknown = current.Schema.Where(c => !c.IsHidden && !kinds.ContainsKey(c.Name)).Select(c => c.Name).ToList();
        return unknown.Count == 0 ? report : report with
        {
            Notes = [.. report.Notes, $"Columns the reference does not have (not compared): {string.Join(", ", unknown.Take(20))}{(unknown.Count > 20 ? $" and {unknown.Count - 20} more" : "")}."],
        };
    }
}
