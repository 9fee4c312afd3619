using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace MlopsNotebooks.Runner.Apps;

/// <summary>
/// A .NET 10 file-based app: one .cs file with top-level statements, run with <c>dotnet run app.cs</c>, its packages and
/// build properties in <c>#:package</c>, <c>#:property</c> and <c>#:sdk</c> directives before the code.
/// </summary>
public static class FileBasedApp
{
    public static bool IsApp(string path) => path.EndsWith(".cs", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Refuses, before anything runs, a path that is not there or a .cs file that is not an app (a class library has no
    /// top-level statements: <c>dotnet run</c> would only say that there is no Main).
    /// </summary>
    public static void Check(string path, string shown)
    {
        if (!File.Exists(path))
        {
            throw new NotFoundException($"There is no file-based app at {shown}.", "Check the path; it is relative to the repository root.");
        }
        var root = CSharpSyntaxTree.ParseText(File.ReadAllText(path), CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview)).GetCompilationUnitRoot();
        if (!root.Members.OfType<GlobalStatementSyntax>().Any())
        {
            throw new MlopsException($"{shown} is not a file-based app: it has no top-level statements, so `dotnet run {Path.GetFileName(shown)}` has nothing to run.",
                "A file-based app's code starts at the top of the file (e.g. Console.WriteLine(\"hi\");); a file of classes belongs in a project, or behind a glob that excludes it (!path).");
        }
    }
}
