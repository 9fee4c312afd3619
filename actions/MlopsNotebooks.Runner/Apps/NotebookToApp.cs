using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using MlopsNotebooks.Magics;
using MlopsNotebooks.Notebooks;

namespace MlopsNotebooks.Runner.Apps;

/// <summary>A notebook as a file-based app, and what had no equivalent there (each also a comment in the code).</summary>
public sealed record AppConversion(string Code, IReadOnlyList<string> Unconverted);

/// <summary>
/// Writes a notebook as a file-based app (<c>dotnet run app.cs</c>): <c>#r "nuget: X, V"</c> becomes <c>#:package X@V</c>
/// at the top (the SDK reads directives before any code); <c>using</c> directives are hoisted above the statements and
/// types declared in cells moved after them, as C# requires; markdown becomes comments; <c>#!mlops</c> magics become the
/// fluent API's calls; the parameters cell reads each value from a <c>name=value</c> argument, its default otherwise;
/// <c>display(x)</c> and a cell's trailing value print. Other languages are refused (or commented out when skipped).
/// </summary>
public static partial class NotebookToApp
{
    private const string KitPackage = "MlopsNotebooks";

    private static readonly CSharpParseOptions Script = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    public static AppConversion Convert(Notebook notebook, string notebookName, string outputFolder, bool skipUnsupported, string kitVersion)
    {
        var app = new App();
        var parameterCell = NotebookParameters.FindCell(notebook);
        for (var i = 0; i < notebook.Cells.Count; i++)
        {
            var cell = notebook.Cells[i];
            var number = i + 1;
            var language = cell.Language.ToLowerInvariant();
            if (!cell.IsCode || language is "markdown" or "md" or "raw")
            {
                app.Comment(cell.Source);
                continue;
            }
            if (language is not ("csharp" or "c#"))
            {
                Unsupported(app, number, $"a {cell.Language} cell", cell.Source, skipUnsupported);
                continue;
            }
            var after = new List<string>();
            foreach (var part in CellParts.Parse(cell.Source, "csharp"))
            {
                switch (part)
                {
                    case CodePart { Language: "csharp" } code:
                        app.Code(i == parameterCell ? ReadFromArguments(code.Code, app) : code.Code, number);
                        break;
                    case CodePart other:
                        Unsupported(app, number, $"a #!{other.Language} part", other.Code, skipUnsupported);
                        break;
                    case DirectivePart { Name: MagicParser.Directive } magic:
                        Magic(app, number, magic, after);
                        break;
                    case DirectivePart { Name: "markdown" }:
                        app.Comment(cell.Source.Replace("#!markdown", "", StringComparison.Ordinal).Trim());
                        break;
                    case DirectivePart other:
                        app.Unconverted(number, $"#!{other.Name} {other.Arguments}".Trim(), "a kernel magic with no equivalent in a program");
                        break;
                }
            }
            app.Statements.AddRange(after);
        }
        if (!app.HasCode)
        {
            throw new MlopsException($"{notebookName} has no C# code to convert: an app of comments alone would not run.", "Convert a notebook with C# cells.");
        }
        return new AppConversion(app.Write(notebookName, outputFolder, kitVersion), app.Missing);
    }

    private static void Unsupported(App app, int cell, string what, string source, bool skip)
    {
        if (!skip)
        {
            throw new MlopsException($"Cell {cell} is {what}: a file-based app is C# only.",
                "Rewrite it in C#, or pass --skip-unsupported to keep it as a comment.");
        }
        app.Unconverted(cell, what, "commented out");
        app.Comment(source);
    }

    /// <summary>The parameters cell with each top-level declaration's default read through <c>Parameter</c>.</summary>
    private static string ReadFromArguments(string code, App app)
    {
        var root = CSharpSyntaxTree.ParseText(code, Script).GetRoot();
        var declarators = root.DescendantNodes().OfType<VariableDeclarationSyntax>()
            .Where(d => d.Parent is FieldDeclarationSyntax or LocalDeclarationStatementSyntax { Parent: GlobalStatementSyntax })
            .SelectMany(d => d.Variables.Where(v => v.Initializer is not null).Select(v => (Type: d.Type.ToString(), Variable: v)))
            .OrderByDescending(d => d.Variable.SpanStart).ToList();
        foreach (var (type, variable) in declarators)
        {
            var value = variable.Initializer!.Value;
            var typed = type == "var" ? "" : $"<{type}>";
            code = code[..value.SpanStart] + $"Parameter{typed}({SymbolDisplay.FormatLiteral(variable.Identifier.Text, true)}, {value})" + code[value.Span.End..];
        }
        app.ReadsParameters |= declarators.Count > 0;
        return code;
    }

    /// <summary>A <c>#!mlops</c> line as the fluent API's calls; what only shows a view (or needs the notebook's variables' types) stays a comment.</summary>
    private static void Magic(App app, int cell, DirectivePart magic, List<string> after)
    {
        var line = $"#!mlops {magic.Arguments}";
        MagicInvocation m;
        try
        {
            m = MagicParser.Parse(magic.Arguments, MlopsMagics.All, NoVariables.Instance);
        }
        catch (MlopsException e)
        {
            throw new MlopsException($"Cell {cell}, line {magic.Line}: {e.Message}", e.Hint);
        }
        string Quote(string? s) => SymbolDisplay.FormatLiteral(s ?? "", true);
        (string Key, string Value) Pair(string name)
        {
            var text = m.Required(name);
            var equals = text.IndexOf('=');
            return equals > 0 ? (text[..equals], text[(equals + 1)..])
                : throw new MlopsException($"Cell {cell}, line {magic.Line}: #!mlops {m.Command.Name}: '{text}' is not key=value.", $"Usage: {m.Command.Usage()}");
        }
        IEnumerable<string> Params() => (m.Get("params") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).Select(p => $"Mlops.LogParam({Quote(p[0])}, {Quote(p[1])});");
        string Name() => m.Get("name") is { } n ? Quote(n) : "null";
        List<string> calls = m.Command.Name switch
        {
            "experiment" => [$"Mlops.SetExperiment({Quote(m.Required("name"))});"],
            "start-run" => [$"Mlops.StartRun({Name()}{(m.Has("nested") ? ", nested: true" : "")});", .. Params()],
            "track" => [$"Mlops.StartRun({Name()}, nested: Mlops.ActiveRun is not null);", .. Params()],
            "end-run" => [m.Get("status") is { } status ? $"Mlops.EndRun(RunStatus.{CultureInfo.InvariantCulture.TextInfo.ToTitleCase(status)});" : "Mlops.EndRun();"],
            "log-param" => [$"Mlops.LogParam({Quote(Pair("param").Key)}, {Quote(Pair("param").Value)});"],
            "log-metric" => [$"Mlops.LogMetric({Quote(Pair("metric").Key)}, {Pair("metric").Value}, {m.Get("step") ?? "0"});"],
            "tag" => [$"Mlops.SetTag({Quote(Pair("tag").Key)}, {Quote(Pair("tag").Value)});"],
            "data-add" => [$"Mlops.Data.Add({Quote(m.Required("path"))}{(m.Get("link") is { } link ? $", MlopsNotebooks.Versioning.LinkType.{CultureInfo.InvariantCulture.TextInfo.ToTitleCase(link)}" : "")});"],
            "data-use" => [$"Mlops.Data.Use({Quote(m.Required("path"))});"],
            "register-model" when m.Get("schema") is { } schema =>
                [$"Console.WriteLine(Mlops.Models.Register(Mlops.ActiveRun!.RunId, {m.Required("variable")}, {schema}.Schema, {Quote(m.Required("name"))}"
                    + (m.Get("alias") is { } alias ? $", alias: {Quote(alias)}" : "") + $", referenceData: {schema}));"],
            _ => [],
        };
        if (calls.Count == 0)
        {
            app.Unconverted(cell, line, m.Command.Name == "register-model"
                ? "register-model needs --schema <training IDataView> in a program (the notebook's data views are not searched)"
                : "it shows a view in the notebook; a program has no equivalent (use Mlops.Client)");
            return;
        }
        app.UsesKit = app.HasCode = true;
        app.Statements.Add(string.Join("\n", [$"// {line}", .. calls]));
        if (m.Command.Name == "track")
        {
            after.Insert(0, "Mlops.EndRun(); // #!mlops track: the run of this cell ends with it (an unhandled exception ends it as FAILED)");
        }
    }

    /// <summary>The app being written: its directives, usings, statements and types, in the order the cells give them.</summary>
    private sealed class App
    {
        public List<(string Name, string? Version)> Packages { get; } = [];

        public List<string> Notes { get; } = [];

        public List<string> Usings { get; } = [];

        public List<string> Statements { get; } = [];

        public List<string> Types { get; } = [];

        public List<string> Missing { get; } = [];

        public bool UsesKit { get; set; }

        public bool ReadsParameters { get; set; }

        /// <summary>Whether any statement is code rather than a comment: a file with none is no app.</summary>
        public bool HasCode { get; set; }

        public void Comment(string text)
        {
            if (!string.IsNullOrWhiteSpace(text))
            {
                Statements.Add(string.Join("\n", text.Replace("\r\n", "\n").Trim('\n').Split('\n').Select(l => l.Length == 0 ? "//" : "// " + l)));
            }
        }

        public void Unconverted(int cell, string what, string why)
        {
            Missing.Add($"cell {cell}: {what}: {why}");
            Statements.Add($"// Not converted: {what} ({why}).");
        }

        /// <summary>A C# part: package lines taken to the top, then usings hoisted and types moved out of the statements.</summary>
        public void Code(string code, int cell)
        {
            var kept = new List<string>();
            foreach (var line in code.Replace("\r\n", "\n").Split('\n'))
            {
                if (NuGetReference().Match(line) is { Success: true } package)
                {
                    var (name, version) = (package.Groups["name"].Value, package.Groups["version"].Value);
                    if (!Packages.Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
                    {
                        Packages.Add((name, version.Length > 0 ? version : null));
                    }
                }
                else if (NuGetSource().Match(line) is { Success: true } source)
                {
                    Notes.Add($"// #i \"nuget: {source.Groups["source"].Value}\": file-based apps have no source directive; add the source to a nuget.config beside this file.");
                }
                else if (line.StartsWith("#r ", StringComparison.Ordinal) || line.StartsWith("#load ", StringComparison.Ordinal))
                {
                    Unconverted(cell, line.Trim(), "a program references files through a project, not a directive");
                }
                else
                {
                    kept.Add(line);
                }
            }
            var root = (CompilationUnitSyntax)new Printing().Visit(CSharpSyntaxTree.ParseText(string.Join("\n", kept), Script).GetRoot());
            Usings.AddRange(root.Usings.Select(u => u.WithoutTrivia().ToString()).Where(u => !Usings.Contains(u)));
            // The part's statements stay one block, spaced as the cell spaced them.
            var block = new StringBuilder();
            for (var i = 0; i < root.Members.Count; i++)
            {
                var member = root.Members[i];
                switch (member)
                {
                    case BaseTypeDeclarationSyntax or DelegateDeclarationSyntax or BaseNamespaceDeclarationSyntax:
                        Types.Add(member.ToFullString().Trim('\n'));
                        break;
                    // A script's trailing expression is shown; a program prints it.
                    case GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } value } when i == root.Members.Count - 1:
                        block.Append(value.GetLeadingTrivia().ToFullString()).Append($"Console.WriteLine({value.Expression.WithoutTrivia()});\n");
                        break;
                    // A script's methods and fields are the program's local functions and variables, which take no accessibility.
                    case MethodDeclarationSyntax method:
                        block.Append(method.WithModifiers(Without(method.Modifiers, SyntaxKind.PublicKeyword, SyntaxKind.PrivateKeyword, SyntaxKind.InternalKeyword,
                            SyntaxKind.ProtectedKeyword)).ToFullString());
                        break;
                    case FieldDeclarationSyntax field:
                        block.Append(field.WithModifiers(Without(field.Modifiers, SyntaxKind.PublicKeyword, SyntaxKind.PrivateKeyword, SyntaxKind.InternalKeyword,
                            SyntaxKind.ProtectedKeyword, SyntaxKind.StaticKeyword, SyntaxKind.ReadOnlyKeyword)).ToFullString());
                        break;
                    default:
                        block.Append(member.ToFullString());
                        break;
                }
            }
            if (block.ToString().Trim('\n') is { Length: > 0 } statements)
            {
                HasCode |= root.Members.Any(m => m is not (BaseTypeDeclarationSyntax or DelegateDeclarationSyntax or BaseNamespaceDeclarationSyntax));
                Statements.Add(statements);
            }
        }

        private static SyntaxTokenList Without(SyntaxTokenList modifiers, params SyntaxKind[] kinds)
        {
            var kept = modifiers.Where(t => !kinds.Contains(t.Kind())).ToList();
            // The first modifier carries the declaration's leading trivia (its comments); keep them.
            return kept.Count == modifiers.Count ? modifiers
                : SyntaxFactory.TokenList(kept.Select((t, i) => i == 0 ? t.WithLeadingTrivia(modifiers[0].LeadingTrivia) : t));
        }

        public string Write(string notebookName, string outputFolder, string kitVersion)
        {
            if (UsesKit && !Packages.Any(p => p.Name.Equals(KitPackage, StringComparison.OrdinalIgnoreCase)))
            {
                Packages.Add((KitPackage, kitVersion));
            }
            var text = new StringBuilder();
            foreach (var (name, version) in Packages)
            {
                text.Append("#:package ").Append(name).Append('@').Append(version ?? "*").Append('\n');
            }
            foreach (var property in BuildProperties(outputFolder))
            {
                text.Append("#:property ").Append(property).Append('\n');
            }
            text.Append($"// Converted from {notebookName} by `mlops notebook convert`. Run it with `dotnet run {Path.ChangeExtension(notebookName, ".cs")}`")
                .Append(ReadsParameters ? " (parameters as arguments: -- name=value ...)" : "").Append(".\n");
            foreach (var note in Notes)
            {
                text.Append(note).Append('\n');
            }
            text.Append('\n');
            // The notebook's session imports these besides a console app's implicit usings, and the kit's namespace.
            var usings = new List<string> { "using System.Collections;", "using System.Text;" };
            if (Packages.Any(p => p.Name.Equals(KitPackage, StringComparison.OrdinalIgnoreCase)))
            {
                usings.Add("using MlopsNotebooks.Tracking;");
            }
            foreach (var u in usings.Concat(Usings).Distinct(StringComparer.Ordinal))
            {
                text.Append(u).Append('\n');
            }
            foreach (var statement in Statements)
            {
                text.Append('\n').Append(statement).Append('\n');
            }
            if (ReadsParameters)
            {
                text.Append('\n').Append(ParameterFunction);
            }
            foreach (var type in Types)
            {
                text.Append('\n').Append(type).Append('\n');
            }
            return text.ToString();
        }
    }

    /// <summary>
    /// Build properties the app needs where it is written: a repository with central package management (a
    /// Directory.Packages.props above it) refuses <c>#:package</c> versions, and one that treats warnings as errors
    /// fails a notebook's code on its first nullable warning.
    /// </summary>
    private static IEnumerable<string> BuildProperties(string folder)
    {
        // A file-based app is published native (AOT) by default, which turns off code generated at run time; a notebook's
        // code (ML.NET's data views) was written for the kernel's JIT.
        yield return "PublishAot=false";
        var (central, strict) = (false, false);
        for (var dir = new DirectoryInfo(folder); dir is not null; dir = dir.Parent)
        {
            central |= File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props"));
            var props = Path.Combine(dir.FullName, "Directory.Build.props");
            strict |= File.Exists(props) && File.ReadAllText(props).Contains("<TreatWarningsAsErrors>true", StringComparison.OrdinalIgnoreCase);
        }
        if (central)
        {
            yield return "ManagePackageVersionsCentrally=false";
        }
        if (strict)
        {
            yield return "TreatWarningsAsErrors=false";
        }
    }

    private const string ParameterFunction = """
        // A parameter: the argument name=value (`dotnet run app.cs -- rows=500`, `mlops validate -p rows=500`), else its default.
        T Parameter<T>(string name, T fallback)
        {
            var given = args.LastOrDefault(a => a.StartsWith(name + "=", StringComparison.Ordinal));
            if (given is null)
            {
                return fallback;
            }
            var text = given[(name.Length + 1)..];
            var type = Nullable.GetUnderlyingType(typeof(T));
            return type is not null && text == "null" ? default! : (T)System.Convert.ChangeType(text, type ?? typeof(T), System.Globalization.CultureInfo.InvariantCulture);
        }

        """;

    /// <summary><c>display(x)</c> and <c>x.Display()</c> as <c>Console.WriteLine(x)</c>: a program has standard output, not displays.</summary>
    private sealed class Printing : CSharpSyntaxRewriter
    {
        public override SyntaxNode? VisitInvocationExpression(InvocationExpressionSyntax node)
        {
            var visited = (InvocationExpressionSyntax)base.VisitInvocationExpression(node)!;
            var shown = visited switch
            {
                { Expression: IdentifierNameSyntax { Identifier.Text: "display" }, ArgumentList.Arguments: [var first, ..] } => first.Expression,
                { Expression: MemberAccessExpressionSyntax { Name.Identifier.Text: "Display" } access, ArgumentList.Arguments.Count: 0 } => access.Expression,
                _ => null,
            };
            return shown is null ? visited
                : SyntaxFactory.ParseExpression($"Console.WriteLine({shown.WithoutTrivia()})").WithTriviaFrom(visited);
        }
    }

    /// <summary>Magics are parsed here, never run: no variable is asked for.</summary>
    private sealed class NoVariables : IMagicHost
    {
        public static NoVariables Instance { get; } = new();

        public object? GetVariable(string name) => null;

        public IReadOnlyList<(string Name, object? Value)> Variables() => [];

        public void AfterCell(Action<bool> action)
        {
        }
    }

    [GeneratedRegex(@"^\s*#r\s+""nuget:\s*(?<name>[^,""\s]+)\s*(,\s*(?<version>[^""\s]+))?\s*""\s*$")]
    private static partial Regex NuGetReference();

    [GeneratedRegex(@"^\s*#i\s+""nuget:\s*(?<source>[^""]+?)\s*""\s*$")]
    private static partial Regex NuGetSource();
}
