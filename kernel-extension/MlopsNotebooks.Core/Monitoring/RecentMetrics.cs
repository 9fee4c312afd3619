using System.Globalization;

namespace MlopsNotebooks.Monitoring;

/// <summary>
/// The model's metric on recent labelled predictions against the value it was registered with: auc, accuracy or f1 for
/// a binary classifier, rmse, mae or r_squared for a regression, computed as ML.NET's evaluators compute them.
/// </summary>
public static class RecentMetrics
{
    /// <summary>Fewer labelled predictions than this say nothing about the metric: reported, never judged.</summary>
    public const int MinimumLabels = 30;

    /// <summary>The metrics it computes, in the order one is picked from those registered.</summary>
    public static readonly IReadOnlyList<string> Known = ["auc", "accuracy", "f1", "rmse", "mae", "r_squared"];

    /// <summary>The metric to check: the one asked for, else the first registered one it knows; null when none.</summary>
    public static string? Choose(IReadOnlyDictionary<string, double?> registered, string? asked)
    {
        if (asked is not null)
        {
            return Known.Contains(asked) ? asked : throw new MlopsException($"'{asked}' is not a metric drift computes.", $"Use one of {string.Join(", ", Known)}.");
        }
        return Known.FirstOrDefault(m => registered.GetValueOrDefault(m) is not null);
    }

    /// <summary>The model output the metric is computed from.</summary>
    public static string Output(string metric) => metric switch
    {
        "auc" => "Probability",
        "accuracy" or "f1" => "PredictedLabel",
        _ => "Score",
    };

    /// <summary>Whether a smaller value is better (errors), so degrading means growing.</summary>
    public static bool LowerIsBetter(string metric) => metric is "rmse" or "mae";

    /// <summary>
    /// Checks <paramref name="metric"/> on pairs of a prediction (the <see cref="Output"/> column, as logged) and its
    /// label (as fed back), both as text: booleans true/false (or 1/0), numbers invariant.
    /// </summary>
    public static MetricCheck Check(string metric, double? registered, IReadOnlyList<string?> predictions, IReadOnlyList<string?> labels, double tolerance)
    {
        var check = new MetricCheck { Metric = metric, Registered = registered, Tolerance = tolerance, LabelledRows = labels.Count };
        if (labels.Count < MinimumLabels)
        {
            return check with { Note = $"{labels.Count} labelled predictions in the window; at least {MinimumLabels} are needed to judge {metric}." };
        }
        double? recent;
        string? note;
        try
        {
            (recent, note) = metric switch
            {
                "auc" => Auc(Numbers(predictions), Booleans(labels)),
                "accuracy" => (Accuracy(Booleans(predictions), Booleans(labels)), null),
                "f1" => F1(Booleans(predictions), Booleans(labels)),
                _ => Regression(metric, Numbers(predictions), Numbers(labels)),
            };
        }
        catch (FormatException e)
        {
            return check with { Note = $"{metric} cannot be computed: {e.Message}" };
        }
        if (recent is not { } value || registered is not { } before)
        {
            return check with { Recent = recent, Note = note ?? (registered is null ? $"{metric} was not registered with the model." : null) };
        }
        var degraded = LowerIsBetter(metric) ? value > before + tolerance : value < before - tolerance;
        return check with { Recent = value, Degraded = degraded, Note = note };
    }

    private static double[] Numbers(IReadOnlyList<string?> values) => values.Select(v =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x) ? x
            : throw new FormatException($"'{Shown(v)}' is not a number")).ToArray();

    private static bool[] Booleans(IReadOnlyList<string?> values) => values.Select(v => v switch
    {
        "true" or "True" or "1" => true,
        "false" or "False" or "0" => false,
        _ => throw new FormatException($"'{Shown(v)}' is not a boolean label"),
    }).ToArray();

    private static string Shown(string? value) => value is null ? "null" : value.Length > 40 ? value[..40] + "…" : value;

    /// <summary>The area under the ROC curve: the chance a positive scores above a negative, ties counting half (ranks averaged).</summary>
    private static (double?, string?) Auc(double[] scores, bool[] labels)
    {
        long positives = labels.LongCount(l => l), negatives = labels.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            return (null, "every label in the window is the same class: auc needs both.");
        }
        var order = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ToArray();
        double positiveRanks = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]])
            {
                end++;
            }
            var rank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++)
            {
                positiveRanks += labels[order[k]] ? rank : 0;
            }
            start = end + 1;
        }
        return ((positiveRanks - positives * (positives + 1) / 2.0) / ((double)positives * negatives), null);
    }

    private static double Accuracy(bool[] predicted, bool[] labels) => (double)predicted.Zip(labels).Count(p => p.First == p.Second) / labels.Length;

    private static (double?, string?) F1(bool[] predicted, bool[] labels)
    {
        var pairs = predicted.Zip(labels).ToList();
        double truePositives = pairs.Count(p => p.First && p.Second), predictedPositives = pairs.Count(p => p.First), positives = pairs.Count(p => p.Second);
        return truePositives == 0 ? (0, null) : (2 * truePositives / (predictedPositives + positives), null);
    }

    private static (double?, string?) Regression(string metric, double[] predicted, double[] labels)
    {
        var errors = predicted.Zip(labels, (p, l) => p - l).ToArray();
        var mean = labels.Average();
        var total = labels.Sum(l => (l - mean) * (l - mean));
        return metric switch
        {
            "rmse" => (Math.Sqrt(errors.Average(e => e * e)), null),
            "mae" => (errors.Average(Math.Abs), null),
            _ => total == 0 ? (null, "every label in the window is the same: r_squared is undefined.") : (1 - errors.Sum(e => e * e) / total, null),
        };
    }
}
