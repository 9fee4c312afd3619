using Microsoft.ML;

namespace MlopsNotebooks.Sweeps;

/// <summary>A metric a task's evaluation gives, the way it is better, and how to read it from scored data.</summary>
public sealed record TaskMetric(string Name, Direction Direction)
{
    internal Func<MLContext, IDataView, string, double> Measure { get; init; } = (_, _, _) => double.NaN;
}

public static partial class TrainerCatalog
{
    private static readonly IReadOnlyDictionary<MlTask, IReadOnlyList<TaskMetric>> MetricsByTask = new Dictionary<MlTask, IReadOnlyList<TaskMetric>>
    {
        [MlTask.BinaryClassification] =
        [
            new("auc", Direction.Maximize) { Measure = (ml, scored, label) => Binary(ml, scored, label).AreaUnderRocCurve },
            new("accuracy", Direction.Maximize) { Measure = (ml, scored, label) => Binary(ml, scored, label).Accuracy },
            new("f1", Direction.Maximize) { Measure = (ml, scored, label) => Binary(ml, scored, label).F1Score },
            new("log_loss", Direction.Minimize) { Measure = (ml, scored, label) => Calibrated(ml, scored, label).LogLoss },
        ],
        [MlTask.Regression] =
        [
            new("rmse", Direction.Minimize) { Measure = (ml, scored, label) => ml.Regression.Evaluate(scored, label).RootMeanSquaredError },
            new("mae", Direction.Minimize) { Measure = (ml, scored, label) => ml.Regression.Evaluate(scored, label).MeanAbsoluteError },
            new("r_squared", Direction.Maximize) { Measure = (ml, scored, label) => ml.Regression.Evaluate(scored, label).RSquared },
        ],
        [MlTask.MulticlassClassification] =
        [
            new("macro_accuracy", Direction.Maximize) { Measure = (ml, scored, label) => ml.MulticlassClassification.Evaluate(scored, label).MacroAccuracy },
            new("micro_accuracy", Direction.Maximize) { Measure = (ml, scored, label) => ml.MulticlassClassification.Evaluate(scored, label).MicroAccuracy },
            new("log_loss", Direction.Minimize) { Measure = (ml, scored, label) => ml.MulticlassClassification.Evaluate(scored, label).LogLoss },
        ],
    };

    /// <summary>The metrics <see cref="CrossValidation"/> measures for <paramref name="task"/>, with the way each is better.</summary>
    public static IReadOnlyList<TaskMetric> Metrics(MlTask task) => MetricsByTask[task];

    /// <summary>The metric of <paramref name="task"/> named <paramref name="name"/>; an unknown one is an error listing the known ones.</summary>
    public static TaskMetric Metric(MlTask task, string name) =>
        Metrics(task).FirstOrDefault(m => m.Name == name)
        ?? throw new MlopsException($"'{name}' is not a {Describe(task)} metric.",
            $"Known {Describe(task)} metrics: {string.Join(", ", Metrics(task).Select(m => m.Name))}.");

    /// <summary>The way <paramref name="metric"/> is better, when a task (or, with none given, any task) knows it.</summary>
    public static Direction? DirectionOf(string metric, MlTask? task = null) =>
        (task is { } t ? Metrics(t) : MetricsByTask.Values.SelectMany(m => m))
            .FirstOrDefault(m => m.Name == metric)?.Direction;

    // A forest's scores are not probabilities: its ranking metrics come from the uncalibrated evaluation.
    private static Microsoft.ML.Data.BinaryClassificationMetrics Binary(MLContext ml, IDataView scored, string label) =>
        scored.Schema.GetColumnOrNull("Probability") is null
            ? ml.BinaryClassification.EvaluateNonCalibrated(scored, label)
            : ml.BinaryClassification.Evaluate(scored, label);

    private static Microsoft.ML.Data.CalibratedBinaryClassificationMetrics Calibrated(MLContext ml, IDataView scored, string label) =>
        scored.Schema.GetColumnOrNull("Probability") is null
            ? throw new MlopsException("log_loss needs probabilities, and this trainer gives scores only (FastForest is not calibrated).",
                "Sweep auc, accuracy or f1 instead, or leave FastForest out of the trainers.")
            : ml.BinaryClassification.Evaluate(scored, label);
}
