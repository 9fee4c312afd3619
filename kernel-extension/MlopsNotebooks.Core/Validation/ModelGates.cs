using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace MlopsNotebooks.Validation;

/// <summary>One threshold: <c>auc &gt;= 0.85</c>, with the line of the gates file it is written on.</summary>
public sealed record Threshold(string Metric, string Operator, double Value, int Line)
{
    public bool LowerIsBetter => Operator is "<" or "<=";

    public bool Holds(double actual) => Operator switch
    {
        ">=" => actual >= Value,
        ">" => actual > Value,
        "<=" => actual <= Value,
        "<" => actual < Value,
        _ => actual == Value,
    };

    public override string ToString() => $"{Metric} {Operator} {Value.ToString("G", CultureInfo.InvariantCulture)}";
}

/// <summary>How one gate went. <see cref="File"/> and <see cref="Line"/> say where it is written, for the annotation;
/// the report file does not keep them.</summary>
public sealed record GateResult
{
    public required string Gate { get; init; }

    public required bool Passed { get; init; }

    public string Detail { get; init; } = "";

    [JsonIgnore]
    public string? File { get; init; }

    [JsonIgnore]
    public int? Line { get; init; }
}

/// <summary>
/// The model gates of a repository (YAML, by default <c>mlops-gates.yaml</c>):
/// <code>
/// gates:                 # thresholds on the candidate's metrics
///   - auc >= 0.85
/// regression:            # no drop beyond a tolerance against the base branch's baseline
///   auc: 0.01
/// baseline: metrics/baseline.json   # optional: the metrics file the base branch committed
/// </code>
/// A metric is better higher unless a threshold on it is written with &lt; or &lt;= (or, with no threshold, its name
/// says loss or error). The candidate's value of a metric is the best any run of the validated notebooks logged.
/// </summary>
public sealed partial class ModelGates
{
    public required string Path { get; init; }

    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    /// <summary>Metric to the largest drop (in its own units) allowed against the baseline, and the line it is on.</summary>
    public IReadOnlyDictionary<string, (double Tolerance, int Line)> Regression { get; init; } = new Dictionary<string, (double, int)>();

    public string? Baseline { get; init; }

    private sealed class GatesFile
    {
        public List<string>? Gates { get; set; }

        public Dictionary<string, string>? Regression { get; set; }

        public string? Baseline { get; set; }
    }

    [GeneratedRegex(@"^\s*(?<metric>[A-Za-z0-9_.\-/ ]+?)\s*(?<op>>=|<=|==|>|<)\s*(?<value>[-+0-9.eE]+)\s*$")]
    private static partial Regex ThresholdPattern();

    /// <summary>Reads a gates file; <paramref name="shown"/> is how messages name it (the path as the user wrote it).</summary>
    public static ModelGates Load(string location, string? shown = null)
    {
        var path = shown ?? location;
        if (!File.Exists(location))
        {
            throw new NotFoundException($"The gates file {path} does not exist.", "Write one, e.g.\ngates:\n  - auc >= 0.85\nregression:\n  auc: 0.01");
        }
        var text = File.ReadAllText(location);
        GatesFile file;
        try
        {
            file = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build().Deserialize<GatesFile?>(text) ?? new GatesFile();
        }
        catch (YamlException e)
        {
            throw new MlopsException($"{path}:{e.Start.Line}:{e.Start.Column}: the gates file does not parse: {Innermost(e).Message}",
                "Keys are gates (a list like - auc >= 0.85), regression (metric: tolerance) and baseline (a metrics file).");
        }
        var lines = text.Replace("\r\n", "\n").Split('\n');
        int LineOf(string fragment) => Array.FindIndex(lines, l => l.Contains(fragment, StringComparison.Ordinal)) + 1;
        var thresholds = new List<Threshold>();
        foreach (var gate in file.Gates ?? [])
        {
            var match = ThresholdPattern().Match(gate ?? "");
            if (!match.Success || !double.TryParse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                throw new MlopsException($"{path}:{LineOf(gate ?? "-")}: '{gate}' is not a gate.", "Write <metric> <op> <number>, e.g. auc >= 0.85 (op: >=, >, <=, <, ==).");
            }
            thresholds.Add(new Threshold(match.Groups["metric"].Value, match.Groups["op"].Value, value, LineOf(gate!)));
        }
        var regression = new Dictionary<string, (double, int)>(StringComparer.Ordinal);
        foreach (var (metric, toleranceText) in file.Regression ?? [])
        {
            if (!double.TryParse(toleranceText, NumberStyles.Float, CultureInfo.InvariantCulture, out var tolerance) || tolerance < 0)
            {
                throw new MlopsException($"{path}:{LineOf(metric + ":")}: the regression tolerance of {metric} is '{toleranceText}'.",
                    "Write the largest drop allowed as a number >= 0, e.g. auc: 0.01 (0 allows no drop).");
            }
            regression[metric] = (tolerance, LineOf(metric + ":"));
        }
        return new ModelGates { Path = path, Thresholds = thresholds, Regression = regression, Baseline = file.Baseline };
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;

    /// <summary>
    /// Whether lower values of the metric are better: a threshold on it says &lt; or &lt;=, or else its name says loss,
    /// error, mse, rmse or mae (the metrics ML.NET's evaluators report that way).
    /// </summary>
    public bool LowerIsBetter(string metric) =>
        Thresholds.Any(t => t.Metric == metric) ? Thresholds.Any(t => t.Metric == metric && t.LowerIsBetter) : LowerIsBetterByName().IsMatch(metric);

    [GeneratedRegex(@"(^|[_.\-\s])(loss|log_loss|error|mse|rmse|mae)($|[_.\-\s])|loss$|error$", RegexOptions.IgnoreCase)]
    private static partial Regex LowerIsBetterByName();

    /// <summary>The candidate's value of each metric: the best any of the runs logged (latest value per run).</summary>
    public IReadOnlyDictionary<string, double> Candidate(IEnumerable<IReadOnlyDictionary<string, double>> runs)
    {
        var best = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var metrics in runs)
        {
            foreach (var (key, value) in metrics)
            {
                if (!best.TryGetValue(key, out var current) || (LowerIsBetter(key) ? value < current : value > current))
                {
                    best[key] = value;
                }
            }
        }
        return best;
    }

    public IReadOnlyList<GateResult> Evaluate(IReadOnlyDictionary<string, double> candidate, IReadOnlyDictionary<string, double>? baseline)
    {
        var results = new List<GateResult>();
        foreach (var threshold in Thresholds)
        {
            results.Add(candidate.TryGetValue(threshold.Metric, out var actual)
                ? Gate(threshold.ToString(), threshold.Holds(actual), $"{threshold.Metric} = {F(actual)}", threshold.Line)
                : Gate(threshold.ToString(), false, $"no run logged {threshold.Metric}{Logged(candidate)}", threshold.Line));
        }
        foreach (var (metric, (tolerance, line)) in Regression)
        {
            var gate = $"{metric} no regression beyond {F(tolerance)}";
            if (!candidate.TryGetValue(metric, out var actual))
            {
                results.Add(Gate(gate, false, $"no run logged {metric}{Logged(candidate)}", line));
            }
            else if (baseline is null)
            {
                results.Add(Gate(gate, true, $"{metric} = {F(actual)}; there is no baseline to compare with", line));
            }
            else if (!baseline.TryGetValue(metric, out var before))
            {
                results.Add(Gate(gate, true, $"{metric} = {F(actual)}; the baseline has no {metric}, so there is nothing to regress from", line));
            }
            else
            {
                var drop = LowerIsBetter(metric) ? actual - before : before - actual;
                results.Add(Gate(gate, drop <= tolerance + 1e-12,
                    $"{metric} = {F(actual)} against {F(before)} on the base branch ({(actual - before >= 0 ? "+" : "")}{F(actual - before)})", line));
            }
        }
        return results;
    }

    private GateResult Gate(string gate, bool passed, string detail, int line) =>
        new() { Gate = gate, Passed = passed, Detail = detail, File = Path, Line = line };

    private static string Logged(IReadOnlyDictionary<string, double> candidate) =>
        candidate.Count == 0 ? " (the notebooks logged no metrics)" : $" (logged: {string.Join(", ", candidate.Keys.Order(StringComparer.Ordinal))})";

    internal static string F(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
