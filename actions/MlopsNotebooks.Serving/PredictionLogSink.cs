using MlopsNotebooks.Monitoring;

namespace MlopsNotebooks.Serving;

/// <summary>The sink that writes each answered request's rows to the prediction log, and counts them once written.</summary>
public sealed class PredictionLogSink(PredictionLogWriter writer, Action<int>? logged = null) : IPredictionSink
{
    public ValueTask WriteAsync(PredictionRecord record, CancellationToken cancellationToken)
    {
        writer.WritePredictions(record.RequestId, record.Time, record.Model, record.Version,
            record.InputColumns, record.Inputs, record.OutputColumns, record.Outputs);
        logged?.Invoke(record.Inputs.Count);
        return ValueTask.CompletedTask;
    }
}
