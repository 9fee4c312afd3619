using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace MlopsNotebooks.Sweeps;

/// <summary>The values ML.NET accepts for a hyperparameter: [Low, High], or (Low, High] when <see cref="LowOpen"/>.</summary>
public sealed record Bounds(double Low, double High, bool LowOpen = false)
{
    public bool Contains(double value) => (LowOpen ? value > Low : value >= Low) && value <= High;

    public override string ToString() =>
        $"{(LowOpen ? "(" : "[")}{SearchSpace.F(Low)}, {(double.IsPositiveInfinity(High) ? "∞)" : SearchSpace.F(High) + "]")}";
}

/// <summary>
/// One hyperparameter of a catalog trainer: <see cref="Range"/> is the default search range, named by ML.NET's own
/// argument name (<c>numberOfLeaves</c>); <see cref="Accepted"/> is what ML.NET takes.
/// </summary>
public sealed record TrainerHyperparameter(Hyperparameter Range, Bounds Accepted);

/// <summary>An ML.NET trainer that sweeps search, its hyperparameters, and how to build it from a trial's values.</summary>
public sealed class CatalogTrainer
{
    private readonly Func<MLContext, string, string, IReadOnlyDictionary<string, object>, IEstimator<ITransformer>> _create;

    internal CatalogTrainer(string name, MlTask task, IReadOnlyList<TrainerHyperparameter> hyperparameters,
        Func<MLContext, string, string, IReadOnlyDictionary<string, object>, IEstimator<ITransformer>> create)
    {
        Name = name;
        Task = task;
        Hyperparameters = hyperparameters;
        _create = create;
    }

    public string Name { get; }

    public MlTask Task { get; }

    public IReadOnlyList<TrainerHyperparameter> Hyperparameters { get; }

    /// <summary>
    /// The trainer with <paramref name="values"/> (by ML.NET argument name, as <c>long</c>, <c>double</c> or text); a
    /// hyperparameter not given keeps ML.NET's default.
    /// </summary>
    public IEstimator<ITransformer> Create(MLContext ml, IReadOnlyDictionary<string, object> values, string label = "Label", string features = "Features")
    {
        ArgumentNullException.ThrowIfNull(ml);
        foreach (var (name, value) in values)
        {
            var known = Hyperparameters.FirstOrDefault(h => h.Range.Name == name)
                ?? throw TrainerCatalog.UnknownHyperparameter(this, name);
            var number = value switch
            {
                long or int or double or float => Convert.ToDouble(value, CultureInfo.InvariantCulture),
                _ => throw SearchSpace.Bad($"{Name}.{name}", $"is '{value}', not a number.", $"Give it a number within {known.Accepted}."),
            };
            if (known.Range is IntParameter && number != Math.Floor(number))
            {
                throw SearchSpace.Bad($"{Name}.{name}", $"is {SearchSpace.F(number)}, but ML.NET takes a whole number.", "Give it a whole number.");
            }
            if (!known.Accepted.Contains(number))
            {
                throw TrainerCatalog.OutOfBounds($"{Name}.{name}", $"is {SearchSpace.F(number)}", known.Accepted);
            }
        }
        return _create(ml, label, features, values);
    }
}

/// <summary>
/// The ML.NET trainers that AutoML searches, by task, with their hyperparameters in ML.NET's argument names, the bounds
/// ML.NET accepts and default search ranges after AutoML's and FLAML's (log-scaled where they are, and capped so that a
/// trial on a laptop takes seconds rather than minutes).
/// </summary>
public static partial class TrainerCatalog
{
    private const double Unbounded = double.PositiveInfinity;

    private static TrainerHyperparameter Int(string name, long low, long high, bool log, double min, double max = int.MaxValue) =>
        new(new IntParameter(name, low, high, log), new Bounds(min, max));

    private static TrainerHyperparameter Float(string name, double low, double high, bool log, Bounds accepted) =>
        new(new FloatParameter(name, low, high, log), accepted);

    private static readonly Bounds Positive = new(0, Unbounded, LowOpen: true);
    private static readonly Bounds NonNegative = new(0, Unbounded);
    private static readonly Bounds Fraction = new(0, 1, LowOpen: true);

    private static readonly TrainerHyperparameter[] Forest =
    [
        Int("numberOfLeaves", 4, 128, log: true, min: 2),
        Int("numberOfTrees", 4, 256, log: true, min: 1),
        Int("minimumExampleCountPerLeaf", 2, 128, log: true, min: 1),
        Float("featureFraction", 0.1, 1, log: false, Fraction),
    ];

    private static readonly TrainerHyperparameter[] Boosted = [.. Forest, Float("learningRate", 0.001, 1, log: true, Positive)];

    private static readonly TrainerHyperparameter[] LightGbm =
    [
        Int("numberOfLeaves", 4, 128, log: true, min: 2, max: 131072),
        Int("numberOfIterations", 4, 256, log: true, min: 1),
        Int("minimumExampleCountPerLeaf", 2, 128, log: true, min: 1),
        Float("learningRate", 0.001, 1, log: true, Positive),
        Float("featureFraction", 0.1, 1, log: false, Fraction),
        Float("l1Regularization", 0.001, 1000, log: true, NonNegative),
        Float("l2Regularization", 0.001, 1000, log: true, NonNegative),
    ];

    private static readonly TrainerHyperparameter[] Linear =
    [
        Float("l1Regularization", 0.0001, 10, log: true, NonNegative),
        Float("l2Regularization", 0.0001, 10, log: true, NonNegative),
    ];

    private static readonly IReadOnlyList<CatalogTrainer> All =
    [
        Trainer<FastTreeBinaryTrainer.Options>("FastTree", MlTask.BinaryClassification, Boosted, (ml, o) => ml.BinaryClassification.Trainers.FastTree(o)),
        Trainer<FastForestBinaryTrainer.Options>("FastForest", MlTask.BinaryClassification, Forest, (ml, o) => ml.BinaryClassification.Trainers.FastForest(o)),
        Trainer<LightGbmBinaryTrainer.Options>("LightGbm", MlTask.BinaryClassification, LightGbm, (ml, o) => ml.BinaryClassification.Trainers.LightGbm(o)),
        Trainer<SdcaLogisticRegressionBinaryTrainer.Options>("SdcaLogisticRegression", MlTask.BinaryClassification, Linear, (ml, o) => ml.BinaryClassification.Trainers.SdcaLogisticRegression(o)),
        Trainer<LbfgsLogisticRegressionBinaryTrainer.Options>("LbfgsLogisticRegression", MlTask.BinaryClassification, Linear, (ml, o) => ml.BinaryClassification.Trainers.LbfgsLogisticRegression(o)),

        Trainer<FastTreeRegressionTrainer.Options>("FastTree", MlTask.Regression, Boosted, (ml, o) => ml.Regression.Trainers.FastTree(o)),
        Trainer<FastForestRegressionTrainer.Options>("FastForest", MlTask.Regression, Forest, (ml, o) => ml.Regression.Trainers.FastForest(o)),
        Trainer<LightGbmRegressionTrainer.Options>("LightGbm", MlTask.Regression, LightGbm, (ml, o) => ml.Regression.Trainers.LightGbm(o)),
        Trainer<SdcaRegressionTrainer.Options>("Sdca", MlTask.Regression, Linear, (ml, o) => ml.Regression.Trainers.Sdca(o)),
        Trainer<LbfgsPoissonRegressionTrainer.Options>("LbfgsPoissonRegression", MlTask.Regression, Linear, (ml, o) => ml.Regression.Trainers.LbfgsPoissonRegression(o)),

        Trainer<LightGbmMulticlassTrainer.Options>("LightGbm", MlTask.MulticlassClassification, LightGbm, (ml, o) => ml.MulticlassClassification.Trainers.LightGbm(o)),
        Trainer<SdcaMaximumEntropyMulticlassTrainer.Options>("SdcaMaximumEntropy", MlTask.MulticlassClassification, Linear, (ml, o) => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(o)),
        Trainer<LbfgsMaximumEntropyMulticlassTrainer.Options>("LbfgsMaximumEntropy", MlTask.MulticlassClassification, Linear, (ml, o) => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(o)),
        // One binary tree ensemble per class, as AutoML does: ML.NET has no multiclass FastTree of its own.
        Trainer<FastTreeBinaryTrainer.Options>("FastTreeOva", MlTask.MulticlassClassification, Boosted,
            (ml, o) => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree(o), o.LabelColumnName)),
        Trainer<FastForestBinaryTrainer.Options>("FastForestOva", MlTask.MulticlassClassification, Forest,
            (ml, o) => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastForest(o), o.LabelColumnName)),
    ];

    /// <summary>The trainers of <paramref name="task"/>, in the order a default space lists them.</summary>
    public static IReadOnlyList<CatalogTrainer> For(MlTask task) => All.Where(t => t.Task == task).ToList();

    /// <summary>The trainer of <paramref name="task"/> named <paramref name="name"/>; an unknown name is an error listing the known ones.</summary>
    public static CatalogTrainer Get(MlTask task, string name) =>
        All.FirstOrDefault(t => t.Task == task && string.Equals(t.Name, name, StringComparison.Ordinal))
        ?? throw new MlopsException($"There is no {Describe(task)} trainer named '{name}'.",
            $"Known trainers for {Describe(task)}: {string.Join(", ", For(task).Select(t => t.Name))}.");

    /// <summary>
    /// The trainer a trial chose (its <see cref="SearchSpace.TrainerParameter"/> value) built with that trainer's
    /// values (<c>Trainer.name</c>); the trial's other values are the pipeline's, not the trainer's.
    /// </summary>
    public static IEstimator<ITransformer> Create(MLContext ml, MlTask task, IReadOnlyDictionary<string, object> values, string label = "Label", string features = "Features")
    {
        if (!values.TryGetValue(SearchSpace.TrainerParameter, out var chosen) || chosen is not string name)
        {
            throw new MlopsException($"The trial's values choose no trainer (they have no '{SearchSpace.TrainerParameter}').",
                "Build the space with SearchSpace.Trainers, or list trainers in the sweep file's trainers section.");
        }
        var trainer = Get(task, name);
        var prefix = name + ".";
        var own = values.Where(v => v.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(v => v.Key[prefix.Length..], v => v.Value, StringComparer.Ordinal);
        return trainer.Create(ml, own, label, features);
    }

    /// <summary>
    /// Refuses a hyperparameter named after a trainer of <paramref name="task"/> that the trainer does not have, or whose
    /// range goes beyond what ML.NET accepts; a name whose prefix is not a trainer is left to the pipeline.
    /// </summary>
    internal static void CheckRange(MlTask task, Hyperparameter parameter)
    {
        var dot = parameter.Name.IndexOf('.');
        var trainer = For(task).FirstOrDefault(t => t.Name == parameter.Name[..dot]);
        if (trainer is null)
        {
            return;
        }
        var known = trainer.Hyperparameters.FirstOrDefault(h => h.Range.Name == parameter.ShortName)
            ?? throw UnknownHyperparameter(trainer, parameter.ShortName);
        var (low, high) = parameter switch
        {
            IntParameter p => ((double)p.Low, (double)p.High),
            FloatParameter p => (p.Low, p.High),
            _ => throw SearchSpace.Bad(parameter.Name, "is a choice, but ML.NET takes a number.", $"Give it a range within {known.Accepted}."),
        };
        if (known.Range is IntParameter && parameter is FloatParameter)
        {
            throw SearchSpace.Bad(parameter.Name, "is a float range, but ML.NET takes a whole number.", "Declare it as an int range.");
        }
        if (!known.Accepted.Contains(low) || !known.Accepted.Contains(high))
        {
            throw OutOfBounds(parameter.Name, $"has the range [{SearchSpace.F(low)}, {SearchSpace.F(high)}]", known.Accepted);
        }
    }

    internal static MlopsException UnknownHyperparameter(CatalogTrainer trainer, string name) =>
        new($"The trainer {trainer.Name} has no hyperparameter named '{name}'.",
            $"Its hyperparameters (ML.NET's argument names): {string.Join(", ", trainer.Hyperparameters.Select(h => h.Range.Name))}.");

    internal static MlopsException OutOfBounds(string name, string what, Bounds accepted) =>
        SearchSpace.Bad(name, $"{what}, outside what ML.NET accepts: {accepted}.", $"Keep it within {accepted}.");

    internal static string Describe(MlTask task) => task switch
    {
        MlTask.BinaryClassification => "binary classification",
        MlTask.Regression => "regression",
        _ => "multiclass classification",
    };

    private static CatalogTrainer Trainer<TOptions>(string name, MlTask task, IReadOnlyList<TrainerHyperparameter> hyperparameters,
        Func<MLContext, TOptions, IEstimator<ITransformer>> create)
        where TOptions : TrainerInputBaseWithLabel, new() =>
        new(name, task, hyperparameters, (ml, label, features, values) =>
        {
            var options = new TOptions { LabelColumnName = label, FeatureColumnName = features };
            foreach (var (key, value) in values)
            {
                Set(options, key, value);
            }
            return create(ml, options);
        });

    /// <summary>
    /// Sets ML.NET's option named like the argument (<c>numberOfLeaves</c> is <c>NumberOfLeaves</c>), or the booster's,
    /// where LightGBM keeps its regularization and feature fraction.
    /// </summary>
    private static void Set(object options, string name, object value)
    {
        if (Option(options, name) is null && Option(options, "Booster") is { } booster)
        {
            // Unset, the booster is LightGBM's default, gradient boosting.
            var boosterOptions = booster.Get() ?? new GradientBooster.Options();
            Set(boosterOptions, name, value);
            booster.Set(boosterOptions);
            return;
        }
        var (type, set, _) = Option(options, name) ?? throw new InvalidOperationException($"{options.GetType().FullName} has no option {name}.");
        set(Convert.ChangeType(value, Nullable.GetUnderlyingType(type) ?? type, CultureInfo.InvariantCulture));
    }

    private static (Type Type, Action<object?> Set, Func<object?> Get)? Option(object options, string name)
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase;
        return options.GetType().GetField(name, flags) is { } field
            ? (field.FieldType, v => field.SetValue(options, v), () => field.GetValue(options))
            : options.GetType().GetProperty(name, flags) is { CanWrite: true } property
                ? (property.PropertyType, v => property.SetValue(options, v), () => property.GetValue(options))
                : null;
    }
}
