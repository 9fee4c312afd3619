using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using MlopsNotebooks.Notebooks;

namespace MlopsNotebooks.Runner;

/// <summary>A declared parameter: its name, C# type and default as written.</summary>
public sealed record NotebookParameter(string Name, string Type, string DefaultSource);

/// <summary>
/// Papermill's parameters for C#: the cell tagged <c>parameters</c> (in .dib, a C# cell starting with
/// <c>// parameters</c>) declares defaults; values given on the command line are typed from each default's declared
/// type and injected as a new cell right after it. Every check happens before anything runs.
/// </summary>
public static class NotebookParameters
{
    public const string InjectedTag = "injected-parameters";

    /// <summary>Types a value may be given for; others are refused (declare the parameter with one of these).</summary>
    private static readonly HashSet<string> Supported = ["int", "long", "double", "float", "decimal", "bool", "string", "DateTime", "System.DateTime"];

    public static int FindCell(Notebook notebook) => notebook.Cells.FindIndex(c =>
        c.IsCode && c.Language == "csharp"
        && (c.Tags.Contains("parameters") || c.Source.TrimStart().StartsWith(Dib.ParametersMarker, StringComparison.OrdinalIgnoreCase)));

    /// <summary>The parameters a cell declares (top-level <c>type name = default;</c>, <c>var</c> typed from its literal).</summary>
    public static IReadOnlyList<NotebookParameter> Declared(string source)
    {
        var root = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(kind: SourceCodeKind.Script)).GetRoot();
        var result = new List<NotebookParameter>();
        foreach (var declaration in root.DescendantNodes().OfType<VariableDeclarationSyntax>()
                     .Where(d => d.Parent is FieldDeclarationSyntax or LocalDeclarationStatementSyntax { Parent: GlobalStatementSyntax }))
        {
            foreach (var variable in declaration.Variables)
            {
                var type = declaration.Type.ToString();
                if (type == "var")
                {
                    type = InferType(variable.Initializer?.Value) ?? "var";
                }
                result.Add(new NotebookParameter(variable.Identifier.Text, type, variable.Initializer?.Value.ToString() ?? "default"));
            }
        }
        return result;
    }

    private static string? InferType(ExpressionSyntax? value) => value switch
    {
        LiteralExpressionSyntax l when l.IsKind(SyntaxKind.StringLiteralExpression) => "string",
        LiteralExpressionSyntax l when l.IsKind(SyntaxKind.TrueLiteralExpression) || l.IsKind(SyntaxKind.FalseLiteralExpression) => "bool",
        LiteralExpressionSyntax l when l.IsKind(SyntaxKind.NumericLiteralExpression) => l.Token.Value switch
        {
            int => "int",
            long => "long",
            double => "double",
            float => "float",
            decimal => "decimal",
            _ => null,
        },
        PrefixUnaryExpressionSyntax { OperatorToken.Text: "-" } p => InferType(p.Operand),
        _ => null,
    };

    /// <summary>
    /// The injected cell's C# for the given values, checked against the declarations: unknown names and values that
    /// do not parse as their type are errors that name the parameter and say what was expected.
    /// </summary>
    public static string Inject(IReadOnlyList<NotebookParameter> declared, IReadOnlyDictionary<string, string> values)
    {
        var byName = declared.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var lines = new List<string> { "// Parameters injected by mlops notebook run" };
        foreach (var (name, raw) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (!byName.TryGetValue(name, out var parameter))
            {
                throw new MlopsException($"The notebook has no parameter '{name}'.",
                    declared.Count == 0 ? "Its parameters cell declares none." : $"Its parameters: {string.Join(", ", declared.Select(p => $"{p.Type} {p.Name}"))}.");
            }
            lines.Add($"{parameter.Type} {name} = {Literal(parameter, raw)};");
        }
        return string.Join("\n", lines) + "\n";
    }

    private static string Literal(NotebookParameter p, string raw)
    {
        var nullable = p.Type.EndsWith('?');
        var type = p.Type.TrimEnd('?');
        if (nullable && raw == "null")
        {
            return "null";
        }
        if (!Supported.Contains(type))
        {
            throw new MlopsException($"Parameter '{p.Name}' is declared as {p.Type}, which cannot be given on the command line.",
                "Declare it as int, long, double, float, decimal, bool, string or DateTime (or a nullable of one).");
        }
        MlopsException Bad(string expected) => new($"Parameter '{p.Name}' is {p.Type}; '{raw}' is not {expected}.",
            $"Pass e.g. -p {p.Name}={Example(type)}.");
        var inv = CultureInfo.InvariantCulture;
        return type switch
        {
            "int" => int.TryParse(raw, NumberStyles.Integer, inv, out var i) ? i.ToString(inv) : throw Bad("an int"),
            "long" => long.TryParse(raw, NumberStyles.Integer, inv, out var l) ? l.ToString(inv) + "L" : throw Bad("a long"),
            "double" => double.TryParse(raw, NumberStyles.Float, inv, out var d) && double.IsFinite(d) ? d.ToString("R", inv) + "d" : throw Bad("a number"),
            "float" => float.TryParse(raw, NumberStyles.Float, inv, out var f) && float.IsFinite(f) ? f.ToString("R", inv) + "f" : throw Bad("a number"),
            "decimal" => decimal.TryParse(raw, NumberStyles.Number, inv, out var m) ? m.ToString(inv) + "m" : throw Bad("a decimal number"),
            "bool" => bool.TryParse(raw, out var b) ? (b ? "true" : "false") : throw Bad("true or false"),
            "string" => SymbolDisplay.FormatLiteral(raw, quote: true),
            _ => DateTime.TryParse(raw, inv, DateTimeStyles.RoundtripKind, out var t)
                ? $"System.DateTime.Parse({SymbolDisplay.FormatLiteral(t.ToString("O", inv), true)}, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind)"
                : throw Bad("a date (ISO 8601, e.g. 2026-01-31T12:00:00Z)"),
        };
    }

    private static string Example(string type) => type switch
    {
        "int" or "long" => "10",
        "double" or "float" or "decimal" => "0.5",
        "bool" => "true",
        "string" => "text",
        _ => "2026-01-31",
    };
}
