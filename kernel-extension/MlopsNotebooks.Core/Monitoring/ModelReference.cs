using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlopsNotebooks.Monitoring;

/// <summary>
/// A model version's reference from the data it was trained on: the columns the model needs (a label it was saved with
/// is not one), profiled whole, and the model's predictions on that data (Probability for a binary classifier, else
/// Score when it is one number, else PredictedLabel).
/// </summary>
public static class ModelReference
{
    private static readonly string[] PredictionColumns = ["Probability", "Score", "PredictedLabel"];

    public static Reference Build(ITransformer model, DataViewSchema inputSchema, IDataView data, string? modelName = null, string? runId = null,
        IReadOnlyDictionary<string, double?>? metrics = null)
    {
        var needed = NeededColumns(model, inputSchema).Where(n => DataViewColumns.KindOf(inputSchema[n].Type) is not null).ToList();
        var missing = needed.Where(n => data.Schema.GetColumnOrNull(n) is null).ToList();
        if (missing.Count > 0)
        {
            throw new MlopsException($"The reference data has no column {string.Join(", ", missing)}, which the model needs.",
                "Give the data the model was trained on.");
        }
        var columns = DataViewColumns.Read(data, needed);
        DataColumn? prediction = null;
        try
        {
            var scored = model.Transform(data);
            var output = PredictionColumns.Select(scored.Schema.GetColumnOrNull).FirstOrDefault(c => c is { IsHidden: false } column && DataViewColumns.KindOf(column.Type) is not null);
            if (output is { } column)
            {
                prediction = DataViewColumns.Read(scored, [column.Name]).Columns[0];
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException)
        {
            throw new MlopsException($"The model cannot score the reference data: {e.GetBaseException().Message}", "Give the data the model was trained on, with the columns' types it was trained with.");
        }
        return Reference.FromData(columns, prediction, modelName, runId: runId, metrics: metrics);
    }

    /// <summary>A CSV file read as the model's input schema says (header names, the schema's types).</summary>
    public static IDataView LoadCsv(MLContext ml, string path, DataViewSchema inputSchema)
    {
        var header = CsvColumns.Columns(path);
        var loaderColumns = new List<TextLoader.Column>();
        foreach (var column in inputSchema.Where(c => !c.IsHidden))
        {
            var index = header.ToList().IndexOf(column.Name);
            if (index >= 0 && Kind(column.Type) is { } kind)
            {
                loaderColumns.Add(new TextLoader.Column(column.Name, kind, index));
            }
        }
        return ml.Data.CreateTextLoader(new TextLoader.Options
        {
            Separators = [','],
            HasHeader = true,
            AllowQuoting = true,
            ReadMultilines = true,
            Columns = [.. loaderColumns],
        }).Load(path);
    }

    private static DataKind? Kind(DataViewType type) => type switch
    {
        _ when type == NumberDataViewType.Single => DataKind.Single,
        _ when type == NumberDataViewType.Double => DataKind.Double,
        _ when type == NumberDataViewType.Int32 => DataKind.Int32,
        _ when type == NumberDataViewType.Int64 => DataKind.Int64,
        _ when type == NumberDataViewType.UInt32 => DataKind.UInt32,
        BooleanDataViewType => DataKind.Boolean,
        TextDataViewType => DataKind.String,
        _ => null,
    };

    /// <summary>The input columns the model cannot run without (as the server decides which a request must hold).</summary>
    public static IReadOnlyList<string> NeededColumns(ITransformer model, DataViewSchema inputSchema)
    {
        var visible = inputSchema.Where(c => !c.IsHidden).ToList();
        return visible.Where(c => !Accepts(model, Schema(visible.Where(o => o.Name != c.Name)))).Select(c => c.Name).ToList();
    }

    private static DataViewSchema Schema(IEnumerable<DataViewSchema.Column> columns)
    {
        var builder = new DataViewSchema.Builder();
        foreach (var column in columns)
        {
            builder.AddColumn(column.Name, column.Type, column.Annotations);
        }
        return builder.ToSchema();
    }

    /// <summary>Whether the model runs on data of this schema (the server asks it too, to know which columns a request needs).</summary>
    public static bool Accepts(ITransformer model, DataViewSchema schema)
    {
        try
        {
            model.GetOutputSchema(schema);
            return true;
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }
}
