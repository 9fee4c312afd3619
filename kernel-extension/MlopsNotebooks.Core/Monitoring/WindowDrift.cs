namespace MlopsNotebooks.Monitoring;

/// <summary>
/// Drift of a window of the prediction log: its inputs against the reference's columns, its predictions against the
/// reference's predictions, and the registered metric on the predictions whose labels arrived.
/// </summary>
public static class WindowDrift
{
    /// <summary>How much worse than registered the recent metric may be (absolute) before it counts.</summary>
    public const double DefaultTolerance = 0.05;

    public static DriftReport Compare(Reference reference, PredictionWindow window, DriftOptions options, string? metric = null, double tolerance = DefaultTolerance)
    {
        var profile = reference.Profile;
        var columns = window.InputColumns(profile, out var inputNotes).Columns.ToList();
        var notes = new List<string>(window.Notes);
        notes.AddRange(inputNotes);
        if (profile.Prediction is { } prediction && window.OutputColumn(prediction.Name, prediction.Kind, out var outputNotes) is { } predicted)
        {
            columns.Add(predicted);
            notes.AddRange(outputNotes);
        }
        var report = DriftAnalysis.Compare(reference, new DataColumns(columns), options);
        return report with { Notes = [.. notes, .. report.Notes], Metric = Metric(profile, window, metric, tolerance) };
    }

    private static MetricCheck? Metric(ReferenceProfile profile, PredictionWindow window, string? asked, double tolerance)
    {
        if (!(tolerance >= 0 && double.IsFinite(tolerance)))
        {
            throw new MlopsException($"The metric tolerance {tolerance} is not 0 or more.", "Give how much worse the metric may get, e.g. 0.05.");
        }
        if (RecentMetrics.Choose(profile.Metrics, asked) is not { } metric)
        {
            return null;
        }
        var registered = profile.Metrics.GetValueOrDefault(metric);
        if (window.Labeled(RecentMetrics.Output(metric), ColumnKind.Categorical) is not { } labelled)
        {
            return new MetricCheck
            {
                Metric = metric, Registered = registered, Tolerance = tolerance,
                Note = $"no labels arrived for the window's predictions (POST /feedback), so {metric} was not computed.",
            };
        }
        return RecentMetrics.Check(metric, registered, labelled.Predictions.Categories!, labelled.Labels.Categories!, tolerance);
    }
}
