using System.Text.Json;
using System.Text.Json.Serialization;
using MlopsNotebooks.Validation;

namespace MlopsNotebooks.GitHub.Reporting;

/// <summary>
/// Reads the report data <c>mlops validate</c> writes (<c>report.json</c>) into a <see cref="ValidationReport"/>. On a
/// fork's pull request it is the pull request's own output, so it is read strictly: a wrong type, a null where a value
/// belongs, a missing required field or a field given twice is an error naming the field. Fields the report does not
/// know are skipped. The verdict is never read from it: <see cref="ValidationReport.Passed"/> follows from the findings.
/// </summary>
public static class ReportData
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        RespectNullableAnnotations = true,
        AllowDuplicateProperties = false,
        // mlops validate writes a metric that is not a number as "NaN" (RunJson); any other string is refused.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Reads report data from its JSON text; <paramref name="source"/> names it in messages.</summary>
    public static ValidationReport Read(string json, string source)
    {
        try
        {
            return Checked(JsonSerializer.Deserialize<ValidationReport>(json, Options) ?? throw Problem(source, "the report is null", null), source);
        }
        catch (JsonException e)
        {
            throw Problem(source, e);
        }
    }

    private static MlopsException Problem(string source, JsonException e)
    {
        var at = e.LineNumber is { } line ? $" (line {line + 1})" : "";
        if (e.InnerException?.GetType().Name == "JsonReaderException")
        {
            return new MlopsException($"{source} is not valid JSON{at}: it may have been cut short.",
                "It must be the report.json mlops validate writes; nothing was posted.");
        }
        var reason = e.Message.Contains("missing required properties", StringComparison.Ordinal) ? "a required field is missing"
            : e.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) ? "a field is given twice"
            : "the value has the wrong type, or is null where a value belongs";
        return Problem(source, reason, (e.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : "the top") + at);
    }

    private static MlopsException Problem(string source, string reason, string? field) => new(
        $"{source} is not the report data mlops validate writes: {(field is { Length: > 0 } ? $"at {field}, " : "")}{reason}.",
        "Report data comes from the validate step's mlops-report artifact; nothing was posted.");

    // Nullable annotations are not enforced inside collections, so null entries are refused here, by their place.
    private static ValidationReport Checked(ValidationReport report, string source)
    {
        var (notebooks, runs, data, gates) = (report.Notebooks, report.Runs, report.Data, report.Gates);
        void NotNull(object? value, string field)
        {
            if (value is null)
            {
                throw Problem(source, "the value is null where a value belongs", field);
            }
        }
        void Values<T>(IReadOnlyDictionary<string, T>? map, string field)
        {
            foreach (var (key, value) in map ?? new Dictionary<string, T>())
            {
                NotNull(value, $"{field}.{key}");
            }
        }
        for (var i = 0; i < notebooks.Count; i++)
        {
            NotNull(notebooks[i], $"notebooks[{i}]");
            for (var j = 0; j < notebooks[i].Runs.Count; j++)
            {
                NotNull(notebooks[i].Runs[j], $"notebooks[{i}].runs[{j}]");
            }
        }
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            NotNull(run, $"runs[{i}]");
            Values(run.Params, $"runs[{i}].params");
            for (var j = 0; j < run.Inputs.Count; j++)
            {
                NotNull(run.Inputs[j], $"runs[{i}].inputs[{j}]");
            }
            foreach (var (key, points) in run.History)
            {
                NotNull(points, $"runs[{i}].history.{key}");
                for (var j = 0; j < points.Count; j++)
                {
                    if (points[j] is not [var step, _] || step != Math.Floor(step) || !double.IsFinite(step))
                    {
                        throw Problem(source, "a point must be [step, value] with a whole step", $"runs[{i}].history.{key}[{j}]");
                    }
                }
            }
        }
        for (var i = 0; i < data.Count; i++)
        {
            NotNull(data[i], $"data[{i}]");
            for (var j = 0; j < data[i].Violations.Count; j++)
            {
                NotNull(data[i].Violations[j], $"data[{i}].violations[{j}]");
            }
        }
        for (var i = 0; i < (gates?.Count ?? 0); i++)
        {
            NotNull(gates![i], $"gates[{i}]");
        }
        for (var i = 0; i < (report.BaselineRuns?.Count ?? 0); i++)
        {
            NotNull(report.BaselineRuns![i], $"baseline_runs[{i}]");
        }
        Values(report.CandidateParams, "candidate_params");
        Values(report.BaselineParams, "baseline_params");
        Values(report.CandidateData, "candidate_data");
        Values(report.BaselineData, "baseline_data");
        return report;
    }
}
