using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlopsNotebooks.Sweeps;

/// <summary>
/// The ready evaluation: a featurization pipeline followed by the catalog trainer of a trial's values, cross-validated
/// on a data set fold by fold. After each fold the trial reports the running mean of the metric, so that the pruner can
/// stop a lagging trial before its last fold. The folds and their featurized data are made once and shared by every
/// trial, so trials differ only by their values; each trial trains in a context seeded with the seed given, so
/// the same values give the same metric on any worker.
/// </summary>
public sealed class CrossValidation : ISweepEvaluation
{
    /// <summary>The column the featurization must end with, as ML.NET's trainers read it.</summary>
    public const string FeatureColumn = "Features";

    private readonly MLContext _ml;
    private readonly IDataView _data;
    private readonly IEstimator<ITransformer> _features;
    private readonly MlTask _task;
    private readonly TaskMetric _metric;
    private readonly int _folds;
    private readonly string _label;
    private readonly int _seed;
    private readonly bool _keyedLabel;
    private readonly Lazy<IReadOnlyList<(IDataView Train, IDataView Test)>> _featurizedFolds;

    public CrossValidation(MLContext ml, IDataView data, IEstimator<ITransformer> features, MlTask task, string metric,
        int folds = 5, string label = "Label", int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(features);
        if (folds is < 2 or > 100)
        {
            throw new MlopsException($"Cross-validation needs 2 to 100 folds, not {folds}.", "5 is usual; use fewer folds on a large data set to go faster.");
        }
        if (data.Schema.GetColumnOrNull(label) is null)
        {
            throw new MlopsException($"The data has no label column '{label}'.",
                $"Its columns: {string.Join(", ", data.Schema.Where(c => !c.IsHidden).Select(c => c.Name))}. Name the label with label: \"...\".");
        }
        _metric = TrainerCatalog.Metric(task, metric);
        (_ml, _data, _task, _folds, _label, _seed) = (ml, data, task, folds, label, seed);
        (_features, _keyedLabel) = WithKeyLabel(features);
        _featurizedFolds = new(Featurize);
    }

    public MlTask Task => _task;

    public string Metric => _metric.Name;

    public Direction Direction => _metric.Direction;

    /// <summary>The mean of the metric over the folds; reports the running mean after each fold (step 1 to the number of folds).</summary>
    public double Evaluate(Trial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var sum = 0.0;
        var folds = _featurizedFolds.Value;
        for (var i = 0; i < folds.Count; i++)
        {
            var ml = new MLContext(_seed);
            var model = TrainerCatalog.Create(ml, _task, trial.Values, _label, FeatureColumn).Fit(folds[i].Train);
            sum += _metric.Measure(ml, model.Transform(folds[i].Test), _label);
            trial.Report(sum / (i + 1), i + 1);
        }
        return sum / folds.Count;
    }

    /// <summary>The featurization and the trainer of <paramref name="values"/> fitted on all the data.</summary>
    public (ITransformer Model, IDataView Data)? Fit(IReadOnlyDictionary<string, object> values)
    {
        var ml = new MLContext(_seed);
        var pipeline = _features.Append(TrainerCatalog.Create(ml, _task, values, _label, FeatureColumn));
        // A multiclass model predicts the label's own values, not the key the trainer needed.
        var model = _keyedLabel
            ? pipeline.Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(_data)
            : (ITransformer)pipeline.Fit(_data);
        return (model, _data);
    }

    /// <summary>
    /// Splits the data once with the seed, then fits the featurization on each fold's training part only (nothing of
    /// the held-out part leaks into it) and caches both parts, since every trial reads them again.
    /// </summary>
    private IReadOnlyList<(IDataView Train, IDataView Test)> Featurize()
    {
        var splits = _ml.Data.CrossValidationSplit(_data, _folds, seed: _seed);
        return splits.Select(split =>
        {
            var featurizer = _features.Fit(split.TrainSet);
            return (_ml.Data.Cache(featurizer.Transform(split.TrainSet)), _ml.Data.Cache(featurizer.Transform(split.TestSet)));
        }).ToList();
    }

    /// <summary>
    /// Checks that the featurization gives the columns a trainer reads, and maps a multiclass label to a key (ML.NET's
    /// multiclass trainers need one; a data scientist's label is usually text).
    /// </summary>
    private (IEstimator<ITransformer> Features, bool KeyedLabel) WithKeyLabel(IEstimator<ITransformer> features)
    {
        DataViewSchema output;
        try
        {
            // Fitted on a few rows only: enough to learn the columns it gives, cheap beside the folds.
            output = features.Fit(_ml.Data.TakeRows(_data, 200)).GetOutputSchema(_data.Schema);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new MlopsException($"The featurization does not apply to the data: {e.Message}", "Check the column names in the pipeline against the data's columns.", e);
        }
        if (output.GetColumnOrNull(FeatureColumn)?.Type is not VectorDataViewType { ItemType: var item } || item != NumberDataViewType.Single)
        {
            throw new MlopsException($"The featurization gives no '{FeatureColumn}' column of numbers (float).",
                "End it with ml.Transforms.Concatenate(\"Features\", ...) over numeric columns (one-hot encode text first).");
        }
        return _task == MlTask.MulticlassClassification && output.GetColumnOrNull(_label)?.Type is not KeyDataViewType
            ? (features.Append(_ml.Transforms.Conversion.MapValueToKey(_label)), true)
            : (features, false);
    }
}
