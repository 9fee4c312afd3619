using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlopsNotebooks.Serving;

/// <summary>
/// A bundle's model, loaded and ready to predict. Its inputs are the manifest's input columns the model needs (the
/// label a model was saved with is known but not needed, so a client may leave it out); its outputs are the columns
/// its last step adds (PredictedLabel, Score, Probability for a binary classifier; Score for a regression).
/// </summary>
internal sealed class ServedModel
{
    /// <summary>From this many rows on, a request goes through one Transform instead of a pooled PredictionEngine.</summary>
    public const int BatchFrom = 8;

    private readonly IRowPredictor _predictor;

    private ServedModel(ModelBundle bundle, IReadOnlyList<ServedColumn> known, IReadOnlyList<ServedColumn> inputs, IReadOnlyList<ServedColumn> outputs, IRowPredictor predictor)
    {
        Bundle = bundle;
        Known = known;
        Inputs = inputs;
        Outputs = outputs;
        _predictor = predictor;
    }

    public ModelBundle Bundle { get; }

    /// <summary>Every input column of the manifest whose type the server carries: a request may hold any of them.</summary>
    public IReadOnlyList<ServedColumn> Known { get; }

    /// <summary>The columns every row must hold, in the order the predictor takes them.</summary>
    public IReadOnlyList<ServedColumn> Inputs { get; }

    public IReadOnlyList<ServedColumn> Outputs { get; }

    /// <summary>A classifier answers a predicted label; the metrics count predictions by class then, by value otherwise.</summary>
    public int? LabelOutput => Outputs.Select((c, i) => (c, i)).Where(p => p.c.Name == "PredictedLabel").Select(p => (int?)p.i).FirstOrDefault();

    public int? ScoreOutput => Outputs.Select((c, i) => (c, i)).Where(p => p.c.Name == "Score").Select(p => (int?)p.i).FirstOrDefault();

    public IReadOnlyList<object?[]> Predict(IReadOnlyList<object?[]> rows) => _predictor.Predict(rows);

    public static ServedModel Load(ModelBundle bundle)
    {
        const string hint = "Export the model again with `mlops models download NAME@ALIAS --to FOLDER`; the zip must be written by mlContext.Model.Save(model, schema, path).";
        var ml = new MLContext(seed: 0);
        ITransformer model;
        try
        {
            using var file = File.OpenRead(bundle.ModelFile);
            model = ml.Model.Load(file, out _);
        }
        catch (Exception e) when (EnvironmentException.From(e, bundle.ModelFile) is { } failure)
        {
            throw failure;
        }
        catch (Exception e)
        {
            throw new MlopsException($"{bundle.ModelFile} is not an ML.NET model: {e.GetBaseException().Message}", hint);
        }
        var known = bundle.Inputs.Select(c => ColumnType.Find(c.Type) is { } type ? new ServedColumn(c.Name, type) : null).ToList();
        var full = SchemaOf(known.OfType<ServedColumn>());
        if (!Monitoring.ModelReference.Accepts(model, full))
        {
            throw new MlopsException($"The model in {bundle.Folder} does not accept the input columns its manifest records "
                + $"({string.Join(", ", bundle.Inputs.Select(c => $"{c.Name}: {c.Type}"))}); the server carries {string.Join(", ", ColumnType.All.Select(t => t.Name))}.", hint);
        }
        // A column is needed when the model cannot run without it.
        var inputs = known.OfType<ServedColumn>().Where(c => !Monitoring.ModelReference.Accepts(model, SchemaOf(known.OfType<ServedColumn>().Where(o => o != c)))).ToList();
        var outputs = PredictionColumns(model, full);
        if (outputs.Count == 0)
        {
            throw new MlopsException($"The model in {bundle.Folder} adds no column the server can answer with (numbers, booleans or text).", hint);
        }
        var input = RowType.Create(inputs);
        var output = RowType.Create(outputs);
        var predictor = (IRowPredictor)Activator.CreateInstance(typeof(Predictor<,>).MakeGenericType(input.Type, output.Type), ml, model, input, output, BatchFrom)!;
        return new ServedModel(bundle, known.OfType<ServedColumn>().ToList(), inputs, outputs, predictor);
    }

    private static DataViewSchema SchemaOf(IEnumerable<ServedColumn> columns)
    {
        var builder = new DataViewSchema.Builder();
        foreach (var column in columns)
        {
            builder.AddColumn(column.Name, column.Type.DataView);
        }
        return builder.ToSchema();
    }

    /// <summary>The visible columns the model's last step adds, of the types the server carries.</summary>
    private static List<ServedColumn> PredictionColumns(ITransformer model, DataViewSchema input)
    {
        var last = model;
        var before = input;
        while (last is IEnumerable<ITransformer> chain && chain.Any())
        {
            foreach (var step in chain.SkipLast(1))
            {
                before = step.GetOutputSchema(before);
            }
            last = chain.Last();
        }
        var after = last.GetOutputSchema(before);
        return after.Where(c => !c.IsHidden && c.Index >= before.Count)
            .Select(c => ColumnType.All.FirstOrDefault(t => t.DataView.Equals(c.Type)) is { } type ? new ServedColumn(c.Name, type) : null)
            .OfType<ServedColumn>().ToList();
    }
}
