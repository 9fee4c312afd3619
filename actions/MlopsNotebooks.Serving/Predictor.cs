using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlopsNotebooks.Serving;

/// <summary>Predicts rows given as values in the input columns' order; answers values in the output columns' order.</summary>
internal interface IRowPredictor
{
    IReadOnlyList<object?[]> Predict(IReadOnlyList<object?[]> rows);
}

/// <summary>
/// Predictions over the run-time row types. A PredictionEngine is not thread-safe, so single rows and small batches
/// borrow one from a pool; a larger batch goes through one <c>Transform</c> of the model, which is, over a data view of
/// the rows.
/// </summary>
internal sealed class Predictor<TIn, TOut>(MLContext ml, ITransformer model, RowType input, RowType output, int batchFrom) : IRowPredictor
    where TIn : class, new()
    where TOut : class, new()
{
    private readonly ObjectPool<PredictionEngine<TIn, TOut>> _engines = new DefaultObjectPool<PredictionEngine<TIn, TOut>>(
        new EnginePolicy(ml, model, input, output), Environment.ProcessorCount * 4);

    public IReadOnlyList<object?[]> Predict(IReadOnlyList<object?[]> rows)
    {
        if (rows.Count >= batchFrom)
        {
            var data = ml.Data.LoadFromEnumerable(rows.Select(ToInput), input.Schema);
            return ml.Data.CreateEnumerable<TOut>(model.Transform(data), reuseRowObject: false, ignoreMissingColumns: true, output.Schema)
                .Select(FromOutput).ToList();
        }
        var engine = _engines.Get();
        try
        {
            return rows.Select(row => FromOutput(engine.Predict(ToInput(row)))).ToList();
        }
        finally
        {
            _engines.Return(engine);
        }
    }

    private TIn ToInput(object?[] values)
    {
        var row = new TIn();
        for (var i = 0; i < values.Length; i++)
        {
            input.Fields[i].SetValue(row, values[i]);
        }
        return row;
    }

    private object?[] FromOutput(TOut row) => Array.ConvertAll(output.Fields, f => f.GetValue(row));

    private sealed class EnginePolicy(MLContext ml, ITransformer model, RowType input, RowType output) : IPooledObjectPolicy<PredictionEngine<TIn, TOut>>
    {
        public PredictionEngine<TIn, TOut> Create() =>
            ml.Model.CreatePredictionEngine<TIn, TOut>(model, ignoreMissingColumns: true, input.Schema, output.Schema);

        public bool Return(PredictionEngine<TIn, TOut> obj) => true;
    }
}
