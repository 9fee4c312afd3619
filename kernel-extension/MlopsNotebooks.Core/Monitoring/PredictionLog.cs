using System.Text.Json;

namespace MlopsNotebooks.Monitoring;

/// <summary>One logged prediction row: the request it came in, when, which model, its inputs and outputs by column.</summary>
public sealed record LoggedPrediction(
    string RequestId,
    DateTimeOffset Time,
    string Model,
    int? Version,
    IReadOnlyDictionary<string, JsonElement> Inputs,
    IReadOnlyDictionary<string, JsonElement> Outputs);

/// <summary>A window of the prediction log: the predictions in it, the labels that arrived for them, and what was skipped.</summary>
public sealed record PredictionWindow(
    IReadOnlyList<LoggedPrediction> Predictions,
    IReadOnlyDictionary<string, JsonElement> Labels,
    IReadOnlyList<string> Notes)
{
    /// <summary>The inputs as columns, typed as the reference's columns are; a column absent from the log is absent here.</summary>
    public DataColumns InputColumns(ReferenceProfile reference) => throw new NotImplementedException();
}

/// <summary>The prediction log on local disk: append-only JSON Lines files, rotated.</summary>
public static class PredictionLog
{
    public static PredictionWindow Read(string folder, DateTimeOffset? from, DateTimeOffset? to) => throw new NotImplementedException();
}
