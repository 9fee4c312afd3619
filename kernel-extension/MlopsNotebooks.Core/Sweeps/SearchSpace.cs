using System.Globalization;
using System.Text.RegularExpressions;

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

/// <summary>
/// An integer in [Low, High] (both included), sampled evenly or, when <see cref="Log"/>, evenly in its logarithm.
/// Low == High is a constant: it pins a value (a trainer's number of trees, say) while keeping it in the trials' params.
/// </summary>
public sealed record IntParameter(string Name, long Low, long High, bool Log = false) : Hyperparameter(Name);

/// <summary>A number in [Low, High], sampled evenly or, when <see cref="Log"/>, evenly in its logarithm; Low == High is a constant.</summary>
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
/// (<see cref="Int"/>, <see cref="Float"/>, <see cref="Choice"/>, <see cref="Trainers"/>) or read from YAML
/// (<see cref="FromYaml"/>); checked as it is built, so a bad space fails before any trial runs.
/// </summary>
public sealed partial class SearchSpace
{
    /// <summary>The name of the choice between trainers, in a space made with <see cref="Trainers"/>.</summary>
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

    /// <summary>Adds a hyperparameter after checking it (and its condition) against the space so far; a bad one is not kept.</summary>
    public SearchSpace Add(Hyperparameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        Check(parameter, _parameters);
        if (_parameters.Any(p => p.Name == parameter.Name))
        {
            throw Bad(parameter.Name, "is declared twice.", "Give each hyperparameter one declaration; to change a range, use SetRange.");
        }
        var clash = _parameters.FirstOrDefault(p => p.ShortName == parameter.ShortName && (p.Name == p.ShortName || parameter.Name == parameter.ShortName));
        if (clash is not null)
        {
            throw Bad(parameter.Name, $"has the same short name as '{clash.Name}'.",
                "A trial's code reads a trainer's hyperparameter by its short name, so a parameter that is not a trainer's needs a name of its own.");
        }
        _parameters.Add(parameter);
        return this;
    }

    /// <summary>
    /// Replaces the range of an integer or float hyperparameter already in the space (narrowed, widened or pinned with
    /// <paramref name="low"/> == <paramref name="high"/>), keeping its kind and its condition; <paramref name="log"/>
    /// null keeps its scale. A trainer's range must stay within what ML.NET accepts.
    /// </summary>
    public SearchSpace SetRange(string name, double low, double high, bool? log = null)
    {
        var index = _parameters.FindIndex(p => p.Name == name);
        if (index < 0)
        {
            throw new MlopsException($"The search space has no hyperparameter named '{name}'.",
                $"Its hyperparameters: {string.Join(", ", _parameters.Select(p => p.Name))}.");
        }
        Hyperparameter replacement = _parameters[index] switch
        {
            IntParameter p when low != Math.Floor(low) || high != Math.Floor(high) =>
                throw Bad(name, $"is an integer, and the range [{F(low)}, {F(high)}] is not.", "Give whole numbers as its bounds."),
            IntParameter p => p with { Low = (long)low, High = (long)high, Log = log ?? p.Log },
            FloatParameter p => p with { Low = low, High = high, Log = log ?? p.Log },
            var p => throw Bad(name, "is a choice, which has no range.", "Declare the choice with the values you want instead."),
        };
        Check(replacement, _parameters.Take(index));
        _parameters[index] = replacement;
        return this;
    }

    /// <summary>Whether <paramref name="parameter"/> takes a value given the values chosen so far.</summary>
    public static bool IsActive(Hyperparameter parameter, IReadOnlyDictionary<string, object> values) =>
        parameter.When is not { } when
        || (values.TryGetValue(when.Parameter, out var value) && value is string chosen && when.Values.Contains(chosen));

    /// <summary>Refuses what no tuner can sample and no notebook can read, naming the parameter.</summary>
    private void Check(Hyperparameter parameter, IEnumerable<Hyperparameter> before)
    {
        CheckName(parameter.Name);
        switch (parameter)
        {
            case IntParameter p:
                CheckRange(p.Name, p.Low, p.High, p.Log);
                break;
            case FloatParameter p:
                if (!double.IsFinite(p.Low) || !double.IsFinite(p.High))
                {
                    throw Bad(p.Name, $"has the bound {F(double.IsFinite(p.Low) ? p.High : p.Low)}.", "Give finite numbers as its bounds.");
                }
                CheckRange(p.Name, p.Low, p.High, p.Log);
                break;
            case ChoiceParameter p:
                if (p.Choices is null || p.Choices.Count == 0)
                {
                    throw Bad(p.Name, "has no choices.", "List at least one value to choose from.");
                }
                if (p.Choices.FirstOrDefault(string.IsNullOrWhiteSpace) is { } blank)
                {
                    throw Bad(p.Name, $"has a blank choice ('{blank}').", "Every choice needs a value a trial can be given.");
                }
                if (p.Choices.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
                {
                    throw Bad(p.Name, $"lists the choice '{twice.Key}' twice.", "List each choice once: a repeated one would be sampled more often than the others.");
                }
                break;
        }
        if (parameter.When is { } when)
        {
            CheckCondition(parameter.Name, when, before);
        }
        if (Task is { } task && parameter.Name.Contains('.'))
        {
            TrainerCatalog.CheckRange(task, parameter);
        }
    }

    private static void CheckRange(string name, double low, double high, bool log)
    {
        if (low > high)
        {
            throw Bad(name, $"has an empty range: its low bound {F(low)} is above its high bound {F(high)}.",
                "Write the range as [low, high]; a range with low == high is a constant.");
        }
        if (log && low <= 0)
        {
            throw Bad(name, $"is log-scaled from {F(low)}, but a log scale needs bounds above zero.",
                "Start the range above zero (e.g. 1e-4 for a rate), or drop log.");
        }
    }

    private static void CheckCondition(string name, Condition when, IEnumerable<Hyperparameter> before)
    {
        if (before.FirstOrDefault(p => p.Name == when.Parameter) is not ChoiceParameter choice)
        {
            var choices = before.OfType<ChoiceParameter>().Select(p => p.Name).ToList();
            throw Bad(name, $"is conditional on '{when.Parameter}', which is not a choice declared before it.",
                choices.Count == 0 ? "Declare the choice first, then the hyperparameters that depend on it."
                    : $"Choices declared before it: {string.Join(", ", choices)}.");
        }
        if (when.Values is null || when.Values.Count == 0)
        {
            throw Bad(name, $"is conditional on '{when.Parameter}' having one of no values, so it would never be active.",
                $"Name values among: {string.Join(", ", choice.Choices)}.");
        }
        if (when.Values.FirstOrDefault(v => !choice.Choices.Contains(v)) is { } missing)
        {
            throw Bad(name, $"is conditional on '{when.Parameter}' being '{missing}', which is not one of its choices.",
                $"Its choices: {string.Join(", ", choice.Choices)}.");
        }
    }

    /// <summary>
    /// A name is a C# identifier, or a trainer's name and a C# identifier joined by a dot: the command line writes the
    /// short name into a notebook's parameters cell as a variable.
    /// </summary>
    private static void CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new MlopsException("A hyperparameter has no name.", "Name it as a C# variable, e.g. learningRate.");
        }
        var parts = name.Split('.');
        if (parts.Length > 2 || parts.Any(p => !Identifier().IsMatch(p) || Keywords.Contains(p)))
        {
            throw Bad(name, "is not a C# identifier (or Trainer.identifier).",
                "The short name becomes a variable in the notebook's parameters cell: use letters, digits and _, not starting with a digit, and not a C# keyword.");
        }
    }

    internal static MlopsException Bad(string name, string problem, string hint) =>
        new($"The hyperparameter '{name}' {problem}", hint);

    internal static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while", "_",
    };
}
