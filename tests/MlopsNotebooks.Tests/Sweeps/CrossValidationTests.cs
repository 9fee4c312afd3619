using Microsoft.ML;
using Microsoft.ML.Data;
using MlopsNotebooks.Sweeps;

namespace MlopsNotebooks.Tests.Sweeps;

public sealed class CrossValidationTests
{
    private static readonly Dictionary<string, object> FastTree = new()
    {
        ["trainer"] = "FastTree", ["FastTree.numberOfTrees"] = 20L, ["FastTree.numberOfLeaves"] = 8L, ["FastTree.learningRate"] = 0.2,
    };

    private static (double Value, List<(double Value, long Step)> Reports) Evaluate(MlTask task, string metric, Dictionary<string, object> values, int seed = 1)
    {
        var ml = new MLContext(seed);
        var evaluation = new CrossValidation(ml, SweepData.Generate(ml, task, 600, seed: 7), SweepData.Features(ml), task, metric, folds: 4, seed: seed);
        var reports = new List<(double, long)>();
        var value = evaluation.Evaluate(new Trial(1, "run", values, (v, step) => { reports.Add((v, step)); return false; }));
        return (value, reports);
    }

    [Fact]
    public void Cross_validating_a_trial_gives_a_sane_AUC_and_the_same_value_twice_for_the_same_seed()
    {
        var (first, _) = Evaluate(MlTask.BinaryClassification, "auc", FastTree);
        var (second, _) = Evaluate(MlTask.BinaryClassification, "auc", FastTree);

        Assert.InRange(first, 0.8, 1.0);
        Assert.Equal(first, second);
    }

    [Fact]
    public void It_reports_the_running_mean_once_per_fold_and_returns_the_last()
    {
        var (value, reports) = Evaluate(MlTask.BinaryClassification, "auc", FastTree);

        Assert.Equal([1L, 2L, 3L, 4L], reports.Select(r => r.Step));
        Assert.Equal(value, reports[^1].Value, precision: 12);
        Assert.All(reports, r => Assert.InRange(r.Value, 0.5, 1.0));
    }

    [Fact]
    public void A_pruned_trial_stops_after_the_fold_the_pruner_stopped_it_at()
    {
        var ml = new MLContext(1);
        var evaluation = new CrossValidation(ml, SweepData.Generate(ml, MlTask.BinaryClassification, 300, seed: 7), SweepData.Features(ml),
            MlTask.BinaryClassification, "auc", folds: 5);
        var steps = new List<long>();

        var pruned = Assert.Throws<TrialPrunedException>(() =>
            evaluation.Evaluate(new Trial(3, "run", FastTree, (_, step) => { steps.Add(step); return step == 2; })));

        Assert.Equal([1L, 2L], steps);
        Assert.Equal(2, pruned.Step);
    }

    [Theory]
    [InlineData(MlTask.Regression, "rmse", "LightGbm")]
    [InlineData(MlTask.Regression, "r_squared", "Sdca")]
    [InlineData(MlTask.MulticlassClassification, "macro_accuracy", "LbfgsMaximumEntropy")]
    [InlineData(MlTask.MulticlassClassification, "log_loss", "FastForestOva")]
    [InlineData(MlTask.BinaryClassification, "f1", "FastForest")]
    public void Every_task_is_cross_validated_with_its_metrics(MlTask task, string metric, string trainer)
    {
        var (value, reports) = Evaluate(task, metric, new Dictionary<string, object> { ["trainer"] = trainer });

        Assert.True(double.IsFinite(value), $"{metric} = {value}");
        Assert.Equal(4, reports.Count);
        if (metric is "r_squared" or "macro_accuracy" or "f1")
        {
            Assert.InRange(value, 0.5, 1.0);
        }
    }

    [Fact]
    public void The_refit_of_a_multiclass_trial_predicts_the_labels_own_values()
    {
        var ml = new MLContext(1);
        var data = SweepData.Generate(ml, MlTask.MulticlassClassification, 300, seed: 7);
        var evaluation = new CrossValidation(ml, data, SweepData.Features(ml), MlTask.MulticlassClassification, "micro_accuracy");

        var (model, fitted) = evaluation.Fit(new Dictionary<string, object> { ["trainer"] = "LightGbm" })!.Value;

        var predicted = model.Transform(fitted).GetColumn<string>("PredictedLabel").ToHashSet();
        Assert.Subset(new HashSet<string> { "low", "mid", "high" }, predicted);
        Assert.Same(data, fitted);
    }

    [Fact]
    public void A_featurization_without_a_features_column_an_unknown_metric_or_label_or_one_fold_is_refused()
    {
        var ml = new MLContext(1);
        var data = SweepData.Generate(ml, MlTask.BinaryClassification, 100, seed: 7);
        var noFeatures = ml.Transforms.Concatenate("Inputs", "A", "B");

        var errors = new[]
        {
            Assert.Throws<MlopsException>(() => new CrossValidation(ml, data, noFeatures, MlTask.BinaryClassification, "auc")),
            Assert.Throws<MlopsException>(() => new CrossValidation(ml, data, SweepData.Features(ml), MlTask.BinaryClassification, "rmse")),
            Assert.Throws<MlopsException>(() => new CrossValidation(ml, data, SweepData.Features(ml), MlTask.BinaryClassification, "auc", label: "Churned")),
            Assert.Throws<MlopsException>(() => new CrossValidation(ml, data, SweepData.Features(ml), MlTask.BinaryClassification, "auc", folds: 1)),
        };

        Assert.Contains("no 'Features' column", errors[0].Message);
        Assert.Contains("'rmse' is not a binary classification metric", errors[1].Message);
        Assert.Contains("auc, accuracy, f1, log_loss", errors[1].Hint);
        Assert.Contains("no label column 'Churned'", errors[2].Message);
        Assert.Contains("2 to 100 folds, not 1", errors[3].Message);
        Assert.All(errors, e => Assert.NotNull(e.Hint));
    }

    [Fact]
    public void LightGBMs_regularization_reaches_its_booster()
    {
        Dictionary<string, object> LightGbm(double l1) => new()
        {
            ["trainer"] = "LightGbm", ["LightGbm.numberOfIterations"] = 20L, ["LightGbm.l1Regularization"] = l1,
        };

        var (light, _) = Evaluate(MlTask.Regression, "rmse", LightGbm(0.001));
        var (heavy, _) = Evaluate(MlTask.Regression, "rmse", LightGbm(1000));

        Assert.True(heavy > light * 1.2, $"rmse {heavy} with a heavy L1 penalty, {light} with a light one");
    }
}
