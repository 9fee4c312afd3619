using System.Globalization;
using System.Text;

namespace MlopsNotebooks.Deployment;

/// <summary>One sample of a scrape: a metric name, its labels and its value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out var value) ? value : "";
}

/// <summary>
/// Prometheus's text exposition format (version 0.0.4, what prometheus-net writes for <c>GET /metrics</c>): <c># HELP</c>
/// and <c># TYPE</c> lines, samples with label sets whose values escape <c>\\</c>, <c>\"</c> and <c>\n</c>, values that
/// may be <c>+Inf</c>, <c>-Inf</c> or <c>NaN</c>, and an optional timestamp. Text that is not this format is an
/// <see cref="MlopsException"/> naming the line.
/// </summary>
public sealed class PrometheusText
{
    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    private PrometheusText(IReadOnlyList<PrometheusSample> samples) => Samples = samples;

    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>The samples of one name (for a histogram, e.g. <c>..._bucket</c>).</summary>
    public IEnumerable<PrometheusSample> Named(string name) => Samples.Where(s => s.Name == name);

    public static PrometheusText Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new List<PrometheusSample>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r').Trim(' ', '\t');
            if (line.Length == 0)
            {
                continue;
            }
            try
            {
                if (line[0] == '#')
                {
                    CheckComment(line);
                }
                else
                {
                    samples.Add(new LineReader(line).Sample());
                }
            }
            catch (FormatException e)
            {
                throw new MlopsException($"The metrics text is not Prometheus's text format at line {number}: {e.Message}",
                    "Point this at a server's /metrics page (text/plain; version=0.0.4), e.g. http://host:8080/metrics.");
            }
        }
        return new PrometheusText(samples);
    }

    /// <summary>HELP and TYPE lines must name a metric (and TYPE a known type); any other comment is free text.</summary>
    private static void CheckComment(string line)
    {
        var parts = line[1..].TrimStart().Split((char[])[' ', '\t'], 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[0] is not ("HELP" or "TYPE"))
        {
            return;
        }
        if (parts.Length < 2 || !IsName(parts[1]))
        {
            throw new FormatException($"# {parts[0]} needs a metric name.");
        }
        if (parts[0] == "TYPE" && (parts.Length < 3 || !Types.Contains(parts[2].Trim())))
        {
            throw new FormatException($"# TYPE {parts[1]} needs one of {string.Join(", ", Types)}.");
        }
    }

    private static bool IsName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');

    private sealed class LineReader(string line)
    {
        private int _at;

        public PrometheusSample Sample()
        {
            var name = Word(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');
            if (!IsName(name))
            {
                throw new FormatException($"'{Shorten(line)}' does not start with a metric name.");
            }
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Peek() == '{')
            {
                _at++;
                Labels(labels);
            }
            var rest = line[_at..].Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (rest.Length is 0 or > 2 || (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
            {
                throw new FormatException($"{name} needs a value and at most a timestamp after it.");
            }
            return new PrometheusSample(name, labels, Value(rest[0], name));
        }

        private void Labels(Dictionary<string, string> labels)
        {
            while (true)
            {
                SkipSpaces();
                if (Peek() == '}')
                {
                    _at++;
                    return;
                }
                var label = Word(c => char.IsAsciiLetterOrDigit(c) || c == '_');
                SkipSpaces();
                if (label.Length == 0 || char.IsAsciiDigit(label[0]) || Peek() != '=')
                {
                    throw new FormatException($"a label set in '{Shorten(line)}' is not name=\"value\" pairs.");
                }
                _at++;
                SkipSpaces();
                if (!labels.TryAdd(label, Quoted()))
                {
                    throw new FormatException($"label {label} is given twice.");
                }
                SkipSpaces();
                if (Peek() == ',')
                {
                    _at++;
                }
                else if (Peek() != '}')
                {
                    throw new FormatException($"a label set in '{Shorten(line)}' is not closed with }}.");
                }
            }
        }

        private string Quoted()
        {
            if (Peek() != '"')
            {
                throw new FormatException($"a label value in '{Shorten(line)}' is not in double quotes.");
            }
            _at++;
            var value = new StringBuilder();
            while (_at < line.Length)
            {
                var c = line[_at++];
                if (c == '"')
                {
                    return value.ToString();
                }
                if (c == '\\')
                {
                    if (_at == line.Length)
                    {
                        break;
                    }
                    var escaped = line[_at++];
                    value.Append(escaped switch
                    {
                        'n' => '\n',
                        '\\' or '"' => escaped,
                        _ => throw new FormatException($"\\{escaped} is not an escape in a label value (only \\\\, \\\" and \\n are)."),
                    });
                }
                else
                {
                    value.Append(c);
                }
            }
            throw new FormatException($"a label value in '{Shorten(line)}' has no closing quote.");
        }

        private static double Value(string text, string name) => text switch
        {
            "+Inf" or "Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) => value,
            _ => throw new FormatException($"'{text}' is not a number (the value of {name})."),
        };

        private string Word(Func<char, bool> part)
        {
            var start = _at;
            while (_at < line.Length && part(line[_at]))
            {
                _at++;
            }
            return line[start.._at];
        }

        private char Peek() => _at < line.Length ? line[_at] : '\0';

        private void SkipSpaces()
        {
            while (Peek() is ' ' or '\t')
            {
                _at++;
            }
        }

        private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
    }
}
