using System.Collections;
using System.Security.Cryptography;
using System.Text;

namespace MlopsNotebooks.GitHub.Toolkit;

/// <summary>Where an annotation points: a file, and optionally a line and column in it (1-based).</summary>
public sealed record AnnotationPlace(string File, int? Line = null, int? Column = null);

/// <summary>
/// What actions/toolkit's core does, for the `mlops` tool running as a step: inputs from <c>INPUT_*</c>, outputs to
/// <c>GITHUB_OUTPUT</c>, the job summary, annotations and masking as workflow commands on standard output. All escaping
/// lives here and in <see cref="LogText"/> (what may be printed) and <see cref="Markdown"/> (text from data in Markdown). Outside a runner (no <c>GITHUB_ACTIONS</c>), annotations are plain lines and files are not written.
/// </summary>
public sealed class ActionRunner
{
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly TextWriter _stdout;
    private readonly HashSet<string> _masked = new(StringComparer.Ordinal); // the secrets this runner has told the runner of

    public ActionRunner(IReadOnlyDictionary<string, string> environment, TextWriter stdout)
    {
        _environment = environment;
        _stdout = stdout;
    }

    /// <summary>The process's own environment, writing to its standard output (or to <paramref name="stdout"/>, e.g. standard error when standard output is JSON).</summary>
    public static ActionRunner FromProcess(TextWriter? stdout = null) => new(
        Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal),
        stdout ?? Console.Out);

    public bool OnRunner => _environment.GetValueOrDefault("GITHUB_ACTIONS") == "true";

    public string? Variable(string name) => _environment.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    /// <summary>An input as the runner passes it: <c>INPUT_</c> plus the name upper-cased with spaces as underscores, trimmed.</summary>
    public string? Input(string name)
    {
        var value = Variable("INPUT_" + name.Replace(' ', '_').ToUpperInvariant())?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    public string RequiredInput(string name) => Input(name)
        ?? throw new MlopsException($"Input '{name}' is required and was not given.", $"Add it under with: in the workflow step, e.g. {name}: ...");

    /// <summary>A multi-line input: one value per non-empty line (comments with # are left out).</summary>
    public IReadOnlyList<string> ListInput(string name) =>
        (Input(name) ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

    public bool BooleanInput(string name, bool defaultValue = false) => Input(name)?.ToLowerInvariant() switch
    {
        null => defaultValue,
        "true" or "yes" or "1" => true,
        "false" or "no" or "0" => false,
        var other => throw new MlopsException($"Input '{name}' is '{other}', which is not a boolean.", "Use true or false."),
    };

    /// <summary>
    /// Writes an output for later steps (<c>steps.id.outputs.name</c>). Every value uses the heredoc form with a random
    /// delimiter that the value does not contain, so a value with newlines or <c>=</c> cannot forge another output.
    /// </summary>
    public void SetOutput(string name, string value)
    {
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"'{name}' is not an output name.", nameof(name));
        }
        string delimiter;
        do
        {
            delimiter = "ghadelimiter_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        }
        while (value.Contains(delimiter, StringComparison.Ordinal));
        AppendFile("GITHUB_OUTPUT", $"{name}<<{delimiter}\n{value}\n{delimiter}\n");
    }

    /// <summary>Adds Markdown to the job summary (GitHub caps it at 1 MiB per step).</summary>
    public void AppendSummary(string markdown) => AppendFile("GITHUB_STEP_SUMMARY", markdown.EndsWith('\n') ? markdown : markdown + "\n");

    public void Error(string message, AnnotationPlace? place = null, string? title = null) => Annotate("error", message, place, title);

    public void Warning(string message, AnnotationPlace? place = null, string? title = null) => Annotate("warning", message, place, title);

    public void Notice(string message, AnnotationPlace? place = null, string? title = null) => Annotate("notice", message, place, title);

    /// <summary>Tells the runner to hide a secret in every later log line, and hides it in ours too.</summary>
    public void Mask(string secret)
    {
        if (string.IsNullOrEmpty(secret) || !_masked.Add(secret))
        {
            return;
        }
        LogText.AddSecret(secret);
        if (!OnRunner)
        {
            return; // off a runner nothing reads the command, and printing it would show the secret
        }
        // A multi-line secret is masked line by line, as the toolkit does.
        foreach (var line in secret.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0))
        {
            _stdout.WriteLine($"::add-mask::{EscapeData(line)}");
        }
    }

    /// <summary>A log line with every masked secret replaced, for text we print ourselves (error bodies, URLs).</summary>
    public string Redact(string text) => LogText.Redact(text);

    /// <summary>A line for the log: redacted, and never a workflow command, whatever the message holds.</summary>
    public void Log(string message) => _stdout.WriteLine(LogText.Safe(message));

    private void Annotate(string level, string message, AnnotationPlace? place, string? title)
    {
        message = Redact(message);
        if (!OnRunner)
        {
            var where = place is null ? "" : $"{place.File}{(place.Line is { } l ? $":{l}" : "")}: ";
            _stdout.WriteLine(LogText.NoCommands($"{level}: {where}{message}"));
            return;
        }
        var properties = new List<string>();
        if (place is not null)
        {
            properties.Add($"file={EscapeProperty(place.File)}");
            if (place.Line is { } line)
            {
                properties.Add($"line={line}");
            }
            if (place.Column is { } column)
            {
                properties.Add($"col={column}");
            }
        }
        if (title is not null)
        {
            properties.Add($"title={EscapeProperty(Redact(title))}");
        }
        _stdout.WriteLine($"::{level}{(properties.Count > 0 ? " " + string.Join(',', properties) : "")}::{EscapeData(message)}");
    }

    private void AppendFile(string variable, string text)
    {
        if (Variable(variable) is not { } path)
        {
            if (OnRunner)
            {
                throw new UnavailableException($"{variable} is not set, though this runs as a GitHub Actions step.", "Run the step on a GitHub-hosted or current self-hosted runner.");
            }
            return;
        }
        File.AppendAllText(path, Redact(text), new UTF8Encoding(false));
    }

    // The escaping of actions/toolkit's command.ts: data escapes %, CR and LF; properties also : and ,.
    internal static string EscapeData(string text) =>
        text.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);

    internal static string EscapeProperty(string text) =>
        EscapeData(text).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);
}
