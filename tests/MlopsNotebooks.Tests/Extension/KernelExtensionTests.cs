using System.IO.Compression;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using MlopsNotebooks.Magics;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Tests.Packaging;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Display;
using MlopsNotebooks.Hosting;

namespace MlopsNotebooks.Tests.Extension;

/// <summary>
/// The kernel extension: the kernel's packages are not served here, so extension.dib is compiled against the kit alone
/// and every error must be a name from the kernel; the package is packed and its layout checked.
/// </summary>
[Collection(ToolPackageTests.Packing)]
public sealed class KernelExtensionTests
{
    private static string ExtensionPath => Path.Combine(Programs.RepositoryRoot, "kernel-extension", "MlopsNotebooks", "extension.dib");

    private static string CSharpOf(Notebook notebook) =>
        string.Join("\n", notebook.Cells.Where(c => c.Language is "csharp").Select(c => c.Source));

    [Fact]
    public void Extension_dib_parses_and_compiles_but_for_the_kernels_own_names()
    {
        var notebook = Dib.Read(ExtensionPath);
        Assert.Equal(2, notebook.Cells.Count(c => c.Language is "csharp"));
        var options = new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script);
        var trees = notebook.Cells.Where(c => c.Language is "csharp").Select(c => CSharpSyntaxTree.ParseText(c.Source, options)).ToList();
        Assert.DoesNotContain(trees.SelectMany(t => t.GetDiagnostics()), d => d.Severity == DiagnosticSeverity.Error);

        // Compiled as one script against the kit and the runtime: what remains unresolved must be Microsoft.DotNet.Interactive.*,
        // which the kernel supplies when it compiles the file. The extension writes those names in full, so this is checkable.
        var references = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic && a.Location.Length > 0 && (a.GetName().Name!.StartsWith("System", StringComparison.Ordinal)
                || a.GetName().Name is "netstandard" or "mscorlib" or "MlopsNotebooks" or "Microsoft.ML.Core" or "Microsoft.ML.Data" or "Microsoft.ML.DataView"))
            .Append(typeof(Mlops).Assembly).Append(typeof(MlopsMagics).Assembly).Distinct()
            .Select(a => MetadataReference.CreateFromFile(a.Location));
        var compilation = CSharpCompilation.CreateScriptCompilation("extension", trees[0], references,
            new CSharpCompilationOptions(Microsoft.CodeAnalysis.OutputKind.DynamicallyLinkedLibrary, usings: ["System", "System.Text", "System.Collections",
                "System.Collections.Generic", "System.Threading.Tasks", "System.Linq"]));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        var ours = errors.Where(e => !IsKernelName(e)).Select(e => $"{e.Location.GetLineSpan().StartLinePosition}: {e.Id} {e.GetMessage()}").ToList();
        Assert.True(ours.Count == 0, "extension.dib has errors that are not the kernel's names:\n" + string.Join("\n", ours));
        Assert.NotEmpty(errors); // the kernel's names are unresolved here; this proves the check looked at them
    }

    // An error inside a name written as Microsoft.DotNet.Interactive.X, or one that follows from such a type being unknown.
    private static bool IsKernelName(Diagnostic error)
    {
        if (error.Id == "CS1503" && error.GetMessage().Contains("'Microsoft.DotNet.Interactive.", StringComparison.Ordinal))
        {
            return true;
        }
        var root = error.Location.SourceTree!.GetRoot();
        var node = root.FindNode(error.Location.SourceSpan, getInnermostNodeForTie: true);
        for (var n = node; n is not null; n = n.Parent)
        {
            if (n is QualifiedNameSyntax or MemberAccessExpressionSyntax && n.ToString().StartsWith("Microsoft.DotNet.Interactive.", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    [Fact]
    public void Extension_dib_gives_every_subcommand_a_command_type_and_imports_only_the_tracking_api()
    {
        var code = CSharpOf(Dib.Read(ExtensionPath));
        var added = Regex.Matches(code, @"Add<(\w+)>\(""([\w-]+)""\)").Select(m => (Type: m.Groups[1].Value, Name: m.Groups[2].Value)).ToList();
        Assert.Equal(MlopsMagics.All.Select(c => c.Name).Order(), added.Select(a => a.Name).Order());
        Assert.Equal(added.Count, added.Select(a => a.Type).Distinct().Count()); // the kernel keys command types by name
        foreach (var (type, _) in added)
        {
            Assert.Matches($@"public sealed class {type} : MlopsDirectiveCommand", code);
        }
        // A script's usings carry into the user's cells: the extension's must be the one the runner also imports.
        Assert.Equal(["using MlopsNotebooks.Tracking;"], Regex.Matches(code, @"^using [^(].*;$", RegexOptions.Multiline).Select(m => m.Value));
    }

    [Fact]
    public void The_package_holds_the_library_and_the_extension_and_depends_on_the_core_and_no_kernel_package_but_formatting()
    {
        using var output = new TempDirectory();
        var project = Path.Combine(Programs.RepositoryRoot, "kernel-extension", "MlopsNotebooks", "MlopsNotebooks.csproj");
        var (code, stdout, stderr) = Programs.RunTool("dotnet", ["pack", project, "-c", "Release", "--no-build", "-o", output.Path, "-nologo"], timeoutSeconds: 180);
        Assert.True(code == 0, stdout + stderr);
        var package = Assert.Single(Directory.GetFiles(output.Path, "MlopsNotebooks.0*.nupkg"));
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("lib/net8.0/MlopsNotebooks.dll", entries);
        Assert.DoesNotContain("lib/net8.0/MlopsNotebooks.Core.dll", entries); // the core is a package of its own
        var dib = zip.GetEntry("interactive-extensions/dotnet/extension.dib")!;
        using (var reader = new StreamReader(dib.Open()))
        {
            Assert.Equal(File.ReadAllText(ExtensionPath), reader.ReadToEnd());
        }
        var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToList();
        Assert.Contains("Microsoft.DotNet.Interactive.Formatting", dependencies);
        Assert.Contains("MlopsNotebooks.Core", dependencies);
        Assert.All(dependencies.Where(d => d.StartsWith("Microsoft.DotNet.Interactive", StringComparison.Ordinal)),
            d => Assert.Equal("Microsoft.DotNet.Interactive.Formatting", d));
    }

    [Fact]
    public void The_samples_load_the_version_of_the_package_that_is_built()
    {
        var version = ToolPackageTests.Version; // Directory.Build.props: every package's version
        foreach (var sample in new[] { "churn.ipynb", "churn.dib" })
        {
            var notebook = Notebook.Read(Path.Combine(Programs.RepositoryRoot, "notebooks", sample));
            // The kernel restores a package without a version only if it has a stable one; this one is a preview.
            Assert.Contains($"#r \"nuget: MlopsNotebooks, {version}\"", CSharpOf(notebook));
        }
    }

    [Fact]
    public void Kernel_json_binds_like_a_magic_line()
    {
        static Dictionary<string, JsonElement> Json(string json) => JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;
        var host = new MagicHost(() => []);
        var bound = MagicParser.Bind("start-run", Json("""{"name":"my run","nested":true,"params":"trees=100","invokedDirective":"#!mlops start-run"}"""), MlopsMagics.All, host);
        var parsed = MagicParser.Parse("start-run --name \"my run\" --nested --params trees=100", MlopsMagics.All, host);
        foreach (var p in new[] { "name", "nested", "params" })
        {
            Assert.Equal(parsed.Get(p), bound.Get(p));
        }
        Assert.False(MagicParser.Bind("start-run", Json("""{"nested":false,"name":null}"""), MlopsMagics.All, host).Has("nested"));
        Assert.Equal("metrics.auc DESC", MagicParser.Bind("runs", Json("""{"orderBy":"metrics.auc DESC"}"""), MlopsMagics.All, host).Get("order-by"));
        var missing = Assert.Throws<MlopsException>(() => MagicParser.Bind("log-param", Json("{}"), MlopsMagics.All, host));
        Assert.Contains("<param> is required", missing.Message);
        Assert.Contains("no subcommand 'nope'", Assert.Throws<MlopsException>(() => MagicParser.Bind("nope", Json("{}"), MlopsMagics.All, host)).Message);
        Assert.Equal("orderBy", MagicParser.CamelCase("order-by"));
        Assert.Equal("name", MagicParser.CamelCase("name"));
    }

    [Fact]
    public void Each_mlops_line_of_a_cell_is_found_in_order_and_nothing_else()
    {
        var code = "#!mlops start-run --name a\n  #!mlops log-param trees=1\n#!mlopsx no\n// #!mlops no\nvar s = \"#!mlops no\";\n#!mlops end-run";
        Assert.Equal(["start-run --name a", "log-param trees=1", "end-run"], MagicParser.Lines(code));
    }

    [Fact]
    public void The_kernel_host_finds_the_newest_declaration_of_a_variable()
    {
        var host = new MagicHost(() => [("a", 1), ("b", 2), ("a", 3)]);
        Assert.Equal(3, host.GetVariable("a"));
        Assert.Equal(["a", "b"], host.Variables().Select(v => v.Name));
        var error = Assert.Throws<NotFoundException>(() => host.GetVariable("c"));
        Assert.Contains("no variable 'c'", error.Message);
        Assert.Contains("Variables: a, b", error.Hint);
        var ended = new List<bool>();
        host.AfterCell(ended.Add);
        Assert.True(host.WaitsForCell);
        host.Finish(false);
        Assert.Equal([false], ended);
        Assert.False(host.WaitsForCell);
    }

    [Fact]
    public void A_newer_fsharp_core_of_the_same_major_version_binds_to_the_loaded_one()
    {
        var loaded = typeof(Microsoft.FSharp.Core.FSharpOption<>).Assembly; // Plotly.NET's FSharp.Core
        var major = loaded.GetName().Version!.Major;
        Assert.Same(loaded, FSharpCoreBinding.Resolve([loaded], new AssemblyName($"FSharp.Core, Version={major}.9.0.0")));
        Assert.Null(FSharpCoreBinding.Resolve([loaded], new AssemblyName($"FSharp.Core, Version={major + 1}.0.0.0")));
        Assert.Null(FSharpCoreBinding.Resolve([loaded], new AssemblyName("Plotly.NET, Version=6.0.0.0")));
        Assert.Null(FSharpCoreBinding.Resolve([typeof(Mlops).Assembly], new AssemblyName($"FSharp.Core, Version={major}.9.0.0")));
    }
}
