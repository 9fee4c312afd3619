using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using MlopsNotebooks.Sweeps;

namespace MlopsNotebooks.Tests.Sweeps;

public sealed class TrainerCatalogTests
{
    public static TheoryData<MlTask, string> EveryTrainer()
    {
        var data = new TheoryData<MlTask, string>();
        foreach (var task in Enum.GetValues<MlTask>())
        {
            foreach (var trainer in TrainerCatalog.For(task))
            {
                data.Add(task, trainer.Name);
            }
        }
        return data;
    }

    [Fact]
    public void Each_task_has_the_trainers_AutoML_searches()
    {
        Assert.Equal(["FastTree", "FastForest", "LightGbm", "SdcaLogisticRegression", "LbfgsLogisticRegression"],
            TrainerCatalog.For(MlTask.BinaryClassification).Select(t => t.Name));
        Assert.Equal(["FastTree", "FastForest", "LightGbm", "Sdca", "LbfgsPoissonRegression"],
            TrainerCatalog.For(MlTask.Regression).Select(t => t.Name));
        Assert.Equal(["LightGbm", "SdcaMaximumEntropy", "LbfgsMaximumEntropy", "FastTreeOva", "FastForestOva"],
            TrainerCatalog.For(MlTask.MulticlassClassification).Select(t => t.Name));
    }

    [Fact]
    public void Every_default_range_lies_within_what_ML_NET_accepts_and_log_ranges_start_above_zero()
    {
        foreach (var hyperparameter in Enum.GetValues<MlTask>().SelectMany(TrainerCatalog.For).SelectMany(t => t.Hyperparameters))
        {
            var (low, high, log) = hyperparameter.Range switch
            {
                IntParameter p => ((double)p.Low, (double)p.High, p.Log),
                FloatParameter p => (p.Low, p.High, p.Log),
                _ => throw new InvalidOperationException(hyperparameter.Range.Name),
            };
            Assert.True(hyperparameter.Accepted.Contains(low) && hyperparameter.Accepted.Contains(high), hyperparameter.Range.Name);
            Assert.True(low < high && (!log || low > 0), hyperparameter.Range.Name);
        }
    }

    [Fact]
    public void LightGBMs_native_library_loads_on_this_machine()
    {
        var ml = new MLContext(seed: 1);
        var data = SweepData.Generate(ml, MlTask.BinaryClassification, 200, seed: 1);

        var model = SweepData.Features(ml).Append(ml.BinaryClassification.Trainers.LightGbm()).Fit(data);

        Assert.True(ml.BinaryClassification.Evaluate(model.Transform(data)).AreaUnderRocCurve > 0.8);
    }

    [Theory]
    [MemberData(nameof(EveryTrainer))]
    public void Every_trainer_trains_with_its_defaults_and_at_both_ends_of_its_default_ranges(MlTask task, string name)
    {
        var ml = new MLContext(seed: 1);
        var data = SweepData.Generate(ml, task, 300, seed: 2);
        var trainer = TrainerCatalog.Get(task, name);
        var lows = trainer.Hyperparameters.ToDictionary(h => h.Range.Name, h => End(h.Range, low: true));
        var highs = trainer.Hyperparameters.ToDictionary(h => h.Range.Name, h => End(h.Range, low: false));
        var features = task == MlTask.MulticlassClassification
            ? SweepData.Features(ml).Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            : SweepData.Features(ml);

        foreach (var values in new[] { new Dictionary<string, object>(), lows, highs })
        {
            var model = features.Append(trainer.Create(ml, values)).Fit(data);
            var scored = model.Transform(data);
            Assert.NotNull(scored.Schema.GetColumnOrNull("Score"));
            Assert.Equal(10, scored.Preview(maxRows: 10).RowView.Length);
        }
    }

    [Fact]
    public void The_trainer_a_trial_chose_is_built_from_its_own_values_only()
    {
        var ml = new MLContext(seed: 1);
        var data = SweepData.Generate(ml, MlTask.BinaryClassification, 300, seed: 3);
        var values = new Dictionary<string, object>
        {
            ["trainer"] = "FastTree", ["FastTree.numberOfTrees"] = 3L, ["FastTree.numberOfLeaves"] = 2L, ["rows"] = 100L,
        };

        var model = SweepData.Features(ml).Append(TrainerCatalog.Create(ml, MlTask.BinaryClassification, values)).Fit(data);

        var trees = (BinaryPredictionTransformer<CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator>>)model.LastTransformer;
        var ensemble = trees.Model.SubModel.TrainedTreeEnsemble;
        Assert.Equal(3, ensemble.Trees.Count);
        Assert.Equal(2, ensemble.Trees[0].NumberOfLeaves);
    }

    [Fact]
    public void Values_outside_what_ML_NET_accepts_or_unknown_to_the_trainer_are_refused_before_training()
    {
        var ml = new MLContext();
        var trainer = TrainerCatalog.Get(MlTask.Regression, "LightGbm");

        var outside = Assert.Throws<MlopsException>(() => trainer.Create(ml, new Dictionary<string, object> { ["numberOfLeaves"] = 1L }));
        var unknown = Assert.Throws<MlopsException>(() => trainer.Create(ml, new Dictionary<string, object> { ["maxDepth"] = 3L }));
        var fraction = Assert.Throws<MlopsException>(() => trainer.Create(ml, new Dictionary<string, object> { ["numberOfLeaves"] = 7.5 }));
        var text = Assert.Throws<MlopsException>(() => trainer.Create(ml, new Dictionary<string, object> { ["learningRate"] = "fast" }));
        var none = Assert.Throws<MlopsException>(() => TrainerCatalog.Create(ml, MlTask.Regression, new Dictionary<string, object> { ["rows"] = 3L }));

        Assert.Contains("'LightGbm.numberOfLeaves' is 1, outside what ML.NET accepts: [2, 131072]", outside.Message);
        Assert.Contains("LightGbm has no hyperparameter named 'maxDepth'", unknown.Message);
        Assert.Contains("numberOfIterations", unknown.Hint);
        Assert.Contains("choose no trainer", none.Message);
        Assert.Contains("'LightGbm.numberOfLeaves' is 7.5, but ML.NET takes a whole number", fraction.Message);
        Assert.Contains("'LightGbm.learningRate' is 'fast', not a number", text.Message);
    }

    private static object End(Hyperparameter range, bool low) => range switch
    {
        IntParameter p => low ? p.Low : p.High,
        FloatParameter p => low ? p.Low : p.High,
        _ => throw new InvalidOperationException(range.Name),
    };
}
