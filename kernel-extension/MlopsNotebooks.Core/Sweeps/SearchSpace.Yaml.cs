using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MlopsNotebooks.Sweeps;

public sealed partial class SearchSpace
{
    private static readonly string[] SpaceKeys = ["task", "trainers", "parameters"];

    /// <summary>
    /// A space written in YAML (the <c>task</c>, <c>trainers</c> and <c>parameters</c> of a sweep file; see
    /// <see cref="SweepFile"/>). <paramref name="source"/> names the text in errors, which give its line and key.
    /// </summary>
    public static SearchSpace FromYaml(string yaml, string source)
    {
        var file = new SweepYaml(source);
        var root = file.Load(yaml);
        file.CheckKeys(root, "", SpaceKeys);
        return Read(file, root, file.Task(root));
    }

    /// <summary>Reads the space's sections of a sweep file: the trainers first (their choice comes first), then the other parameters.</summary>
    internal static SearchSpace Read(SweepYaml file, SweepYaml.Map root, MlTask? task)
    {
        var space = new SearchSpace();
        if (root.Get("trainers") is { } trainers)
        {
            space = file.At(trainers, "trainers", () => Trainers(
                task ?? throw new MlopsException("a space of trainers needs the task they solve.", "Add task: binary, regression or multiclass."),
                [.. file.Names(trainers, "trainers")]));
            if (trainers is SweepYaml.Map ranges)
            {
                foreach (var (trainer, spec) in ranges.Entries)
                {
                    ReadTrainerRanges(file, space, task!.Value, trainer.Value, spec);
                }
            }
        }
        if (root.Get("parameters") is { } parameters)
        {
            foreach (var (name, spec) in file.Entries(parameters, "parameters"))
            {
                var key = $"parameters.{name.Value}";
                file.At(name, key, () => space.Add(file.Hyperparameter(spec, key, name.Value)));
            }
        }
        return space;
    }

    /// <summary>A trainer's own ranges replace the catalog's for the hyperparameters named; the others keep the catalog's.</summary>
    private static void ReadTrainerRanges(SweepYaml file, SearchSpace space, MlTask task, string trainer, SweepYaml.Node spec)
    {
        if (spec is SweepYaml.Scalar { IsNull: true })
        {
            return;
        }
        var known = TrainerCatalog.Get(task, trainer);
        foreach (var (name, range) in file.Entries(spec, $"trainers.{trainer}"))
        {
            var key = $"trainers.{trainer}.{name.Value}";
            file.At(name, key, () =>
            {
                var catalog = known.Hyperparameters.FirstOrDefault(h => h.Range.Name == name.Value)
                    ?? throw TrainerCatalog.UnknownHyperparameter(known, name.Value);
                var given = file.Hyperparameter(range, key, $"{trainer}.{name.Value}");
                return (catalog.Range, given) switch
                {
                    (IntParameter, IntParameter p) => space.SetRange(p.Name, p.Low, p.High, p.Log),
                    (FloatParameter, FloatParameter p) => space.SetRange(p.Name, p.Low, p.High, p.Log),
                    (IntParameter, _) => throw Bad(given.Name, "is an integer in ML.NET.", "Write it as { int: [low, high] }."),
                    _ => throw Bad(given.Name, "is a number that need not be whole in ML.NET.", "Write it as { float: [low, high] }."),
                };
            });
        }
    }
}

/// <summary>
/// A sweep file as YAML events turned into a small tree, with errors that name the file, the line and the key. It is
/// someone else's input: anchors and aliases (the way to a billion laughs), tags, duplicate keys, deep nesting and very
/// large files are refused before anything is read from it.
/// </summary>
internal sealed class SweepYaml(string source)
{
    internal const int MaxCharacters = 1 << 20;
    private const int MaxDepth = 16;

    internal abstract record Node(Mark Start);

    internal sealed record Scalar(string Value, bool Plain, Mark Start) : Node(Start)
    {
        public bool IsNull => Plain && Value is "" or "~" or "null" or "Null" or "NULL";
    }

    internal sealed record Sequence(IReadOnlyList<Node> Items, Mark Start) : Node(Start);

    internal sealed record Map(IReadOnlyList<(Scalar Key, Node Value)> Entries, Mark Start) : Node(Start)
    {
        public Node? Get(string key) => Entries.FirstOrDefault(e => e.Key.Value == key).Value;
    }

    public string Source => source;

    public Map Load(string text)
    {
        if (text.Length > MaxCharacters)
        {
            throw new MlopsException($"{source}: the file has {text.Length} characters, more than a sweep file may ({MaxCharacters}).",
                "A sweep file holds a space and a few settings: check that this is the file you meant.");
        }
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                throw new MlopsException($"{source}: the file is empty.", "Write at least the metric and the space, e.g. metric: auc, task: binary, trainers: [FastTree].");
            }
            parser.Consume<DocumentStart>();
            var root = Read(parser, 0);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
            {
                throw new MlopsException($"{source}:{parser.Current!.Start.Line}: the file holds more than one YAML document.", "Keep one sweep per file (remove the '---').");
            }
            return root as Map ?? throw Error(root, "", "is not a mapping of keys to values.", "Write the settings as key: value lines.");
        }
        catch (YamlException e)
        {
            throw new MlopsException($"{source}:{e.Start.Line}:{e.Start.Column}: the file is not valid YAML: {(e.InnerException ?? e).Message}",
                "Check the indentation and the brackets on that line.", e);
        }
    }

    private Node Read(IParser parser, int depth)
    {
        var current = parser.Current!;
        if (depth > MaxDepth)
        {
            throw new MlopsException($"{source}:{current.Start.Line}: the file nests more than {MaxDepth} levels deep.", "A sweep file needs four levels at most.");
        }
        if (current is AnchorAlias || current is NodeEvent { Anchor.IsEmpty: false })
        {
            throw new MlopsException($"{source}:{current.Start.Line}: the file uses a YAML anchor or alias (& or *), which a sweep file may not.",
                "Write each value out where it is used.");
        }
        if (current is NodeEvent { Tag.IsEmpty: false })
        {
            throw new MlopsException($"{source}:{current.Start.Line}: the file uses a YAML tag (!), which a sweep file may not.", "Remove the tag: values are read by their key.");
        }
        parser.MoveNext();
        switch (current)
        {
            case YamlDotNet.Core.Events.Scalar s:
                return new Scalar(s.Value, s.Style == ScalarStyle.Plain, s.Start);
            case SequenceStart:
                var items = new List<Node>();
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    items.Add(Read(parser, depth + 1));
                }
                return new Sequence(items, current.Start);
            default:
                var entries = new List<(Scalar, Node)>();
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    if (Read(parser, depth + 1) is not Scalar key)
                    {
                        throw new MlopsException($"{source}:{parser.Current!.Start.Line}: a key is not a plain name.", "Write keys as names, e.g. metric: auc.");
                    }
                    if (entries.Any(e => e.Item1.Value == key.Value))
                    {
                        throw new MlopsException($"{source}:{key.Start.Line}: the key '{key.Value}' appears twice in the same mapping.", "Keep one of them.");
                    }
                    entries.Add((key, Read(parser, depth + 1)));
                }
                return new Map(entries, current.Start);
        }
    }

    public MlopsException Error(Node node, string key, string problem, string hint) =>
        new(key.Length == 0 ? $"{source}:{node.Start.Line}: the file {problem}" : $"{source}:{node.Start.Line}: {key} {problem}", hint);

    /// <summary>Runs a step of building the space, giving its error the file, line and key.</summary>
    public T At<T>(Node node, string key, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (MlopsException e) when (!e.Message.StartsWith(source + ":", StringComparison.Ordinal))
        {
            throw new MlopsException($"{source}:{node.Start.Line}: {key}: {e.Message}", e.Hint, e);
        }
    }

    public void CheckKeys(Map map, string path, IReadOnlyList<string> known)
    {
        foreach (var (key, _) in map.Entries.Where(e => !known.Contains(e.Key.Value)))
        {
            throw new MlopsException($"{source}:{key.Start.Line}: '{path}{key.Value}' is not a key a sweep file knows.",
                $"Known keys{(path.Length == 0 ? "" : $" under {path.TrimEnd('.')}")}: {string.Join(", ", known)}.");
        }
    }

    public MlTask? Task(Map root) => root.Get("task") switch
    {
        null => null,
        var node => Text(node, "task") switch
        {
            "binary" => MlTask.BinaryClassification,
            "regression" => MlTask.Regression,
            "multiclass" => MlTask.MulticlassClassification,
            var other => throw Error(node, "task", $"is '{other}', not a task.", "Write binary, regression or multiclass."),
        },
    };

    public string Text(Node node, string key) => node is Scalar { IsNull: false } s
        ? s.Value
        : throw Error(node, key, "is not a single value.", $"Write {key}: <value>.");

    public long Whole(Node node, string key, long min, long max)
    {
        var text = Text(node, key);
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Error(node, key, $"is '{text}', not a whole number from {min} to {max}.", $"Write {key}: <a whole number from {min} to {max}>.");
    }

    public double Number(Node node, string key)
    {
        var text = Text(node, key);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw Error(node, key, $"is '{text}', not a finite number.", "Write a number such as 0.01 or 1e-3.");
    }

    public bool Flag(Node node, string key) => Text(node, key) switch
    {
        "true" => true,
        "false" => false,
        var other => throw Error(node, key, $"is '{other}', not true or false.", $"Write {key}: true or {key}: false."),
    };

    public IEnumerable<(Scalar Key, Node Value)> Entries(Node node, string key) => node switch
    {
        Map map => map.Entries,
        Scalar { IsNull: true } => [],
        _ => throw Error(node, key, "is not a mapping.", $"Write {key}: followed by indented name: value lines."),
    };

    /// <summary>The names of a list (<c>[FastTree, LightGbm]</c>) or the keys of a mapping.</summary>
    public IReadOnlyList<string> Names(Node node, string key)
    {
        var names = node is Sequence list ? list.Items.Select(item => Text(item, key)).ToList() : Entries(node, key).Select(e => e.Key.Value).ToList();
        return names.Count > 0
            ? names
            : throw Error(node, key, "names none.", $"Name at least one, as a list ({key}: [a, b]) or as keys with their ranges.");
    }

    private static readonly string[] RangeKeys = ["int", "float", "choice", "log", "when"];

    /// <summary>A range: <c>{ int: [4, 128], log: true }</c>, <c>{ float: [0.01, 0.5] }</c> or <c>{ choice: [a, b] }</c>, with an optional <c>when: { trainer: [FastTree] }</c>.</summary>
    public Hyperparameter Hyperparameter(Node node, string key, string name)
    {
        if (node is not Map map)
        {
            throw Error(node, key, "is not a range.", "Write { int: [low, high] }, { float: [low, high], log: true } or { choice: [a, b] }.");
        }
        CheckKeys(map, key + ".", RangeKeys);
        var kinds = map.Entries.Where(e => e.Key.Value is "int" or "float" or "choice").ToList();
        if (kinds.Count != 1)
        {
            throw Error(node, key, kinds.Count == 0 ? "gives no range." : "gives more than one kind of range.", "Give one of int: [low, high], float: [low, high] or choice: [a, b].");
        }
        var (kind, values) = kinds[0];
        var log = map.Get("log") is { } logNode && Flag(logNode, key + ".log");
        if (kind.Value == "choice" && map.Get("log") is { } stray)
        {
            throw Error(stray, key + ".log", "does not apply to a choice.", "Remove log.");
        }
        Hyperparameter parameter = kind.Value switch
        {
            "int" => Pair(values, key + ".int", (n, k) => Whole(n, k, long.MinValue, long.MaxValue)) switch
            {
                var (low, high) => new IntParameter(name, low, high, log),
            },
            "float" => Pair(values, key + ".float", Number) switch
            {
                var (low, high) => new FloatParameter(name, low, high, log),
            },
            _ => new ChoiceParameter(name, values is Sequence choices
                ? choices.Items.Select(c => Text(c, key + ".choice")).ToList()
                : throw Error(values, key + ".choice", "is not a list.", "Write choice: [a, b].")),
        };
        return map.Get("when") is { } when ? parameter with { When = Condition(when, key + ".when") } : parameter;
    }

    private (T Low, T High) Pair<T>(Node node, string key, Func<Node, string, T> read) =>
        node is Sequence { Items.Count: 2 } pair
            ? (read(pair.Items[0], key), read(pair.Items[1], key))
            : throw Error(node, key, "is not a pair [low, high].", $"Write {key.Split('.')[^1]}: [low, high].");

    private Condition Condition(Node node, string key)
    {
        if (node is not Map { Entries.Count: 1 } map)
        {
            throw Error(node, key, "is not one choice and its values.", "Write when: { trainer: [FastTree, LightGbm] }.");
        }
        var (choice, values) = map.Entries[0];
        return new Condition(choice.Value, values is Sequence list ? list.Items.Select(v => Text(v, key)).ToList() : [Text(values, key)]);
    }
}
