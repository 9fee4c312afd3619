using System.Globalization;

namespace MlopsNotebooks.Search;

/// <summary>What a filter term refers to: <c>metrics.auc</c>, <c>params.trainer</c>, <c>tags.team</c> or a run attribute.</summary>
public enum FilterEntity
{
    Metric,
    Param,
    Tag,
    Attribute,
}

public enum Comparator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Like,
    ILike,
    In,
    NotIn,
}

/// <summary>A term of a filter or order-by clause, e.g. <c>metrics.auc</c>.</summary>
public sealed record SearchTerm(FilterEntity Entity, string Key)
{
    public override string ToString() => Entity switch
    {
        FilterEntity.Metric => $"metrics.{Key}",
        FilterEntity.Param => $"params.{Key}",
        FilterEntity.Tag => $"tags.{Key}",
        _ => $"attributes.{Key}",
    };
}

/// <summary>One comparison. <see cref="Value"/> is a double (metrics, times), a string, or a list of strings (IN).</summary>
public sealed record FilterCondition(SearchTerm Term, Comparator Comparator, object Value);

/// <summary>
/// A parsed run filter in MLflow's search syntax: comparisons joined by AND, such as
/// <c>metrics.auc &gt; 0.8 and params.trainer = 'FastTree' and tags.team != 'x' and attributes.status = 'FINISHED'</c>.
/// Metrics compare numerically on their latest value; params and tags compare as strings (=, !=, LIKE, ILIKE, IN,
/// NOT IN); a run without the key does not match. Keys with other characters go in backticks: <c>metrics.`f1 score`</c>.
/// </summary>
public sealed class RunFilter
{
    /// <summary>Run attributes a filter or order-by may name.</summary>
    public static readonly IReadOnlySet<string> StringAttributes = new HashSet<string> { "run_id", "run_name", "status", "parent_run_id" };
    public static readonly IReadOnlySet<string> TimeAttributes = new HashSet<string> { "start_time", "end_time" };

    // Bounds that keep every parsed filter within what a store runs (SQLite: expression depth 1,000, 32,766 bound
    // values, LIKE patterns of 50,000 bytes), checked here so that a filter too big is a syntax error with a position.
    public const int MaxConditions = 100;
    public const int MaxListValues = 10_000;

    /// <summary>No param or tag value is longer, so a longer value could never match.</summary>
    public const int MaxValueLength = Tracking.Names.MaxTagValueLength;

    private RunFilter(IReadOnlyList<FilterCondition> conditions) => Conditions = conditions;

    public IReadOnlyList<FilterCondition> Conditions { get; }

    public static RunFilter Empty { get; } = new([]);

    /// <summary>Parses a filter; null or blank gives the empty filter (every run).</summary>
    public static RunFilter Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Empty;
        }
        var reader = new TermReader("Filter", text);
        var conditions = new List<FilterCondition>();
        var listValues = 0;
        while (true)
        {
            reader.SkipSpace();
            if (conditions.Count == MaxConditions)
            {
                throw reader.Error(reader.Position, $"a filter holds at most {MaxConditions} conditions");
            }
            var at = reader.Position;
            var condition = ParseCondition(reader);
            listValues += condition.Value is IReadOnlyList<string> list ? list.Count : 0;
            if (listValues > MaxListValues)
            {
                throw reader.Error(at, $"the IN lists of a filter hold at most {MaxListValues} values in all");
            }
            conditions.Add(condition);
            reader.SkipSpace();
            if (reader.AtEnd)
            {
                return new RunFilter(conditions);
            }
            at = reader.Position;
            var word = reader.TryWord();
            if (string.Equals(word, "and", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (string.Equals(word, "or", StringComparison.OrdinalIgnoreCase))
            {
                throw reader.Error(at, "OR is not supported; conditions are joined with AND (run two searches for OR)");
            }
            throw reader.Error(at, "expected AND or the end of the filter");
        }
    }

    private static FilterCondition ParseCondition(TermReader reader)
    {
        var term = reader.ReadTerm();
        reader.SkipSpace();
        var opAt = reader.Position;
        var comparator = reader.ReadComparator(term);
        reader.SkipSpace();
        var valueAt = reader.Position;
        object value = comparator is Comparator.In or Comparator.NotIn ? reader.ReadList() : reader.ReadScalar();
        return new FilterCondition(term, comparator, Check(reader, term, comparator, value, opAt, valueAt));
    }

    // Types and operators per entity, as MLflow allows them.
    private static object Check(TermReader reader, SearchTerm term, Comparator op, object value, int opAt, int valueAt)
    {
        var numeric = term.Entity == FilterEntity.Metric
            || (term.Entity == FilterEntity.Attribute && TimeAttributes.Contains(term.Key));
        if (numeric)
        {
            if (op is Comparator.Like or Comparator.ILike or Comparator.In or Comparator.NotIn)
            {
                throw reader.Error(opAt, $"{term} is numeric; use =, !=, <, <=, > or >=");
            }
            if (value is not double)
            {
                throw reader.Error(valueAt, $"{term} is numeric; compare it with a number, e.g. {term} > 0.8");
            }
            return value;
        }
        if (op is Comparator.Less or Comparator.LessOrEqual or Comparator.Greater or Comparator.GreaterOrEqual)
        {
            throw reader.Error(opAt, $"{term} is a string; use =, !=, LIKE, ILIKE, IN or NOT IN");
        }
        if (value is double)
        {
            throw reader.Error(valueAt, $"{term} is a string; quote the value, e.g. {term} = 'value'");
        }
        if (term.Entity == FilterEntity.Attribute && term.Key == "status")
        {
            var statuses = value as IReadOnlyList<string> ?? [(string)value];
            foreach (var s in statuses)
            {
                if (op is Comparator.Equal or Comparator.NotEqual or Comparator.In or Comparator.NotIn
                    && !Tracking.RunStatusNames.TryParse(s, out _))
                {
                    throw reader.Error(valueAt, $"'{s}' is not a run status; use RUNNING, SCHEDULED, FINISHED, FAILED or KILLED");
                }
            }
            if (op is Comparator.Equal or Comparator.NotEqual)
            {
                return ((string)value).ToUpperInvariant();
            }
            if (op is Comparator.In or Comparator.NotIn)
            {
                return statuses.Select(s => s.ToUpperInvariant()).ToList();
            }
        }
        return value;
    }

    public override string ToString() => string.Join(" and ", Conditions.Select(c => $"{c.Term} {c.Comparator} {c.Value}"));
}

/// <summary>One order-by key: <c>metrics.auc DESC</c>. Runs missing the key sort last either way.</summary>
public sealed record OrderBy(SearchTerm Term, bool Descending)
{
    public const int MaxKeys = 20;

    /// <summary>Parses <c>metrics.auc desc, attributes.start_time</c>; null or blank gives newest first.</summary>
    public static IReadOnlyList<OrderBy> ParseList(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }
        var reader = new TermReader("Order-by", text);
        var keys = new List<OrderBy>();
        while (true)
        {
            reader.SkipSpace();
            if (keys.Count == MaxKeys)
            {
                throw reader.Error(reader.Position, $"order by at most {MaxKeys} keys");
            }
            var term = reader.ReadTerm();
            reader.SkipSpace();
            var at = reader.Position;
            var word = reader.TryWord();
            var descending = false;
            if (string.Equals(word, "desc", StringComparison.OrdinalIgnoreCase))
            {
                descending = true;
            }
            else if (word is not null && !string.Equals(word, "asc", StringComparison.OrdinalIgnoreCase))
            {
                throw reader.Error(at, "expected ASC, DESC, a comma or the end");
            }
            keys.Add(new OrderBy(term, descending));
            reader.SkipSpace();
            if (reader.AtEnd)
            {
                return keys;
            }
            if (!reader.TryChar(','))
            {
                throw reader.Error(reader.Position, "expected a comma between order-by keys");
            }
        }
    }
}

/// <summary>The character-level reader both clauses share, so that errors point at the same places.</summary>
internal sealed class TermReader(string what, string text)
{
    public int Position { get; private set; }

    public bool AtEnd => Position >= text.Length;

    public FilterSyntaxException Error(int at, string problem) => new(what, text, Math.Min(at, text.Length), problem);

    public void SkipSpace()
    {
        while (!AtEnd && char.IsWhiteSpace(text[Position]))
        {
            Position++;
        }
    }

    public bool TryChar(char c)
    {
        SkipSpace();
        if (!AtEnd && text[Position] == c)
        {
            Position++;
            return true;
        }
        return false;
    }

    /// <summary>Reads a bare word (letters, digits, '_'), or returns null without moving.</summary>
    public string? TryWord()
    {
        SkipSpace();
        var start = Position;
        while (!AtEnd && (char.IsAsciiLetterOrDigit(text[Position]) || text[Position] == '_'))
        {
            Position++;
        }
        return Position > start ? text[start..Position] : null;
    }

    public SearchTerm ReadTerm()
    {
        SkipSpace();
        var start = Position;
        var word = TryWord();
        if (word is null || char.IsAsciiDigit(word[0]))
        {
            throw Error(start, "expected a term such as metrics.auc, params.trainer, tags.team or attributes.status");
        }
        if (AtEnd || text[Position] != '.')
        {
            // A bare attribute name (status, run_name, start_time, ...), as MLflow allows.
            return new SearchTerm(FilterEntity.Attribute, CheckAttribute(NormalizeAttribute(word), start));
        }
        Position++;
        var entity = word.ToLowerInvariant() switch
        {
            "metric" or "metrics" => FilterEntity.Metric,
            "param" or "params" or "parameter" or "parameters" => FilterEntity.Param,
            "tag" or "tags" => FilterEntity.Tag,
            "attribute" or "attributes" or "attr" or "run" => FilterEntity.Attribute,
            _ => throw Error(start, $"unknown entity '{word}'; use metrics, params, tags or attributes"),
        };
        var keyAt = Position;
        string key;
        if (!AtEnd && text[Position] is '`' or '"')
        {
            key = ReadQuoted(text[Position]);
        }
        else
        {
            while (!AtEnd && (char.IsAsciiLetterOrDigit(text[Position]) || text[Position] is '_' or '.' or '/' or '-'))
            {
                Position++;
            }
            key = text[keyAt..Position];
        }
        if (key.Length == 0)
        {
            throw Error(keyAt, $"expected a key after '{word}.'");
        }
        return entity == FilterEntity.Attribute
            ? new SearchTerm(entity, CheckAttribute(NormalizeAttribute(key), keyAt))
            : new SearchTerm(entity, key);
    }

    private static string NormalizeAttribute(string name) => name.ToLowerInvariant() switch
    {
        "name" => "run_name",
        "id" => "run_id",
        var n => n,
    };

    private string CheckAttribute(string name, int at) =>
        RunFilter.StringAttributes.Contains(name) || RunFilter.TimeAttributes.Contains(name)
            ? name
            : throw Error(at, $"unknown run attribute '{name}'; use run_id, run_name, status, parent_run_id, start_time or end_time");

    public Comparator ReadComparator(SearchTerm term)
    {
        SkipSpace();
        var at = Position;
        foreach (var (symbol, comparator) in Symbols)
        {
            if (string.CompareOrdinal(text, Position, symbol, 0, symbol.Length) == 0)
            {
                Position += symbol.Length;
                return comparator;
            }
        }
        var word = TryWord()?.ToLowerInvariant();
        switch (word)
        {
            case "like": return Comparator.Like;
            case "ilike": return Comparator.ILike;
            case "in": return Comparator.In;
            case "not":
                if (string.Equals(TryWord(), "in", StringComparison.OrdinalIgnoreCase))
                {
                    return Comparator.NotIn;
                }
                break;
        }
        throw Error(at, $"expected a comparison (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN) after {term}");
    }

    // Longest first, so '<=' is not read as '<'.
    private static readonly (string, Comparator)[] Symbols =
    [
        ("!=", Comparator.NotEqual), ("<>", Comparator.NotEqual), ("<=", Comparator.LessOrEqual),
        (">=", Comparator.GreaterOrEqual), ("==", Comparator.Equal), ("=", Comparator.Equal),
        ("<", Comparator.Less), (">", Comparator.Greater),
    ];

    public object ReadScalar()
    {
        SkipSpace();
        var at = Position;
        if (AtEnd)
        {
            throw Error(at, "expected a value ('text' or a number)");
        }
        if (text[Position] is '\'' or '"')
        {
            return ReadQuoted(text[Position]);
        }
        while (!AtEnd && (char.IsAsciiLetterOrDigit(text[Position]) || text[Position] is '.' or '-' or '+'))
        {
            Position++;
        }
        var raw = text[at..Position];
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            // NaN compares false with everything, and 1e999 parses as infinity: neither is a threshold anyone means.
            return double.IsFinite(number) ? number
                : throw Error(at, $"'{raw}' is not a finite number; compare with a finite one, e.g. > 0.8 or < 1e300");
        }
        throw Error(at, raw.Length == 0
            ? "expected a value ('text' or a number)"
            : $"'{raw}' is neither a number nor a quoted string; quote text values: '{raw}'");
    }

    public IReadOnlyList<string> ReadList()
    {
        var at = Position;
        if (!TryChar('('))
        {
            throw Error(at, "expected '(' to start the IN list, e.g. IN ('a', 'b')");
        }
        var values = new List<string>();
        while (true)
        {
            SkipSpace();
            var valueAt = Position;
            if (ReadScalar() is not string value)
            {
                throw Error(valueAt, "IN lists hold quoted strings");
            }
            values.Add(value);
            if (TryChar(')'))
            {
                return values;
            }
            if (!TryChar(','))
            {
                throw Error(Position, "expected ',' or ')' in the IN list");
            }
        }
    }

    private string ReadQuoted(char quote)
    {
        var start = Position;
        Position++;
        var value = new System.Text.StringBuilder();
        while (true)
        {
            if (AtEnd)
            {
                throw Error(start, $"the quote {quote} opened here is never closed");
            }
            var c = text[Position++];
            if (c == quote)
            {
                // A doubled quote stands for itself, as in SQL.
                if (!AtEnd && text[Position] == quote)
                {
                    value.Append(quote);
                    Position++;
                    continue;
                }
                return value.ToString();
            }
            if (value.Length == RunFilter.MaxValueLength)
            {
                throw Error(start, $"a quoted value or key holds at most {RunFilter.MaxValueLength} characters");
            }
            value.Append(c);
        }
    }
}
