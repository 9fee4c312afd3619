namespace MlopsNotebooks.Sweeps;

/// <summary>
/// One hyperparameter of a search space. <see cref="Name"/> is its key in a trial's values; a hyperparameter of one
/// trainer is named <c>Trainer.name</c> (<c>FastTree.numberOfLeaves</c>) so that two trainers' ranges stay apart, and is
/// given to the code under its <see cref="ShortName"/>, since only one trainer is active in a trial.
/// <see cref="When"/> makes it conditional: it has a value only in trials where another one has one of the values named.
/// </summary>
public abstract record Hyperparameter(string Name)
{
    public Condition? When { get; init; }

    /// <summary>The name the trial's code reads: the part after the trainer's name.</summary>
    public string ShortName => Name[(Name.LastIndexOf('.') + 1)..];
}

/// <summary>An integer in [Low, High] (both included), sampled evenly or, when <see cref="Log"/>, evenly in its logarithm.</summary>
public sealed record IntParameter(string Name, long Low, long High, bool Log = false) : Hyperparameter(Name);

/// <summary>A number in [Low, High], sampled evenly or, when <see cref="Log"/>, evenly in its logarithm.</summary>
public sealed record FloatParameter(string Name, double Low, double High, bool Log = false) : Hyperparameter(Name);

/// <summary>One of a list of values (a trainer, a loss, a feature set), with no order between them.</summary>
public sealed record ChoiceParameter(string Name, IReadOnlyList<string> Choices) : Hyperparameter(Name);

/// <summary>A hyperparameter is active when <see cref="Parameter"/> (a choice) has one of <see cref="Values"/>.</summary>
public sealed record Condition(string Parameter, IReadOnlyList<string> Values);

/// <summary>The ML.NET task a space's trainers solve, which decides the trainers and the metrics.</summary>
public enum MlTask
{
    BinaryClassification,
    Regression,
    MulticlassClassification,
}

/// <summary>
/// What a sweep searches: hyperparameters in an order where each condition names one before it. Values in a trial are
/// <see cref="long"/> for integers, <see cref="double"/> for floats and <see cref="string"/> for choices. Built in C#
/// (<see cref="Int"/>, <see cref="Float"/>, <see cref="Choice"/>, <c>Trainers</c>) or read from YAML (<c>FromYaml</c>);
/// checked as it is built, so a bad space fails before any trial runs.
/// </summary>
public sealed partial class SearchSpace
{
    /// <summary>The name of the choice between trainers, in a space made with <c>Trainers</c>.</summary>
    public const string TrainerParameter = "trainer";

    private readonly List<Hyperparameter> _parameters = [];

    public IReadOnlyList<Hyperparameter> Parameters => _parameters;

    /// <summary>The task of the trainers in the space, when it has a trainer choice.</summary>
    public MlTask? Task { get; private set; }

    public SearchSpace Int(string name, long low, long high, bool log = false, Condition? when = null) =>
        Add(new IntParameter(name, low, high, log) { When = when });

    public SearchSpace Float(string name, double low, double high, bool log = false, Condition? when = null) =>
        Add(new FloatParameter(name, low, high, log) { When = when });

    public SearchSpace Choice(string name, params string[] choices) => Add(new ChoiceParameter(name, choices));

    /// <summary>Adds a hyperparameter after checking it (and its condition) against the space so far.</summary>
    public SearchSpace Add(Hyperparameter parameter)
    {
        _parameters.Add(parameter);
        return this;
    }

    /// <summary>Whether <paramref name="parameter"/> takes a value given the values chosen so far.</summary>
    public static bool IsActive(Hyperparameter parameter, IReadOnlyDictionary<string, object> values) =>
        parameter.When is not { } when
        || (values.TryGetValue(when.Parameter, out var value) && value is string chosen && when.Values.Contains(chosen));
}
