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
/// The kernel extension's shape: extension.dib loads the compiled extension, each subcommand has its command type, the
/// kernel's JSON binds as a line parses, and the package is packed and its layout checked. InProcessKernelTests runs it.
/// </summary>
[Collection(ToolPackageTests.Packing)]
public sealed class KernelExtensionTests
{
    private static string ExtensionPath => Path.Combine(Programs.RepositoryRoot, "kernel-extension", "MlopsNotebooks", "extension.dib");

    private static string CSharpOf(Notebook notebook) =>
        string.Join("\n", notebook.Cells.Where(c => c.Language is "csharp").Select(c => c.Source));

    [Fact]
    public void Extension_dib_compiles_against_the_kernel_and_only_loads_the_compiled_extension()
    {
        var notebook = Dib.Read(ExtensionPath);
        var code = Assert.Single(notebook.Cells, c => c.Language is "csharp").Source;
        // A script's usings and variables carry into the user's cells: the file holds the call and the one using the
        // runner also gives every notebook (CSharpSession's imports), nothing else.
        Assert.Equal(["using MlopsNotebooks.Tracking;", "MlopsNotebooks.Hosting.MlopsKernelExtension.Load(Microsoft.DotNet.Interactive.KernelInvocationContext.Current.HandlingKernel);"],
            code.Trim().Split('\n'));
        var options = new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script);
        var references = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic && a.Location.Length > 0 && (a.GetName().Name!.StartsWith("System", StringComparison.Ordinal) || a.GetName().Name is "netstandard"))
            .Append(typeof(MlopsKernelExtension).Assembly).Append(typeof(Mlops).Assembly).Append(typeof(Microsoft.DotNet.Interactive.Kernel).Assembly).Distinct()
            .Select(a => MetadataReference.CreateFromFile(a.Location));
        var compilation = CSharpCompilation.CreateScriptCompilation("extension", CSharpSyntaxTree.ParseText(code, options), references);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));
    }

    [Fact]
    public void Every_subcommand_has_a_command_type_whose_properties_are_its_parameters()
    {
        var types = typeof(MlopsDirectiveCommand).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(MlopsDirectiveCommand))).ToList();
        Assert.Equal(MlopsMagics.All.Select(c => c.Name).Order(), types.Select(MlopsDirectiveCommand.SubcommandOf).Order());
        foreach (var type in types)
        {
            var magic = MlopsMagics.All.Single(m => m.Name == MlopsDirectiveCommand.SubcommandOf(type));
            var declared = type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Select(p => p.Name).Order();
            Assert.Equal(magic.Parameters.Select(p => MagicParser.CamelCase(p.Name)).Select(n => char.ToUpperInvariant(n[0]) + n[1..]).Order(), declared);
            Assert.All(magic.Parameters, p => Assert.NotNull(MlopsDirectiveCommand.PropertyOf(type, p)));
        }
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
        // The kernel hands a subcommand's parameters as JSON in camel case: strings, numbers, booleans for flags, and an
        // @csharp: list as an array.
        static T Json<T>(string json) => JsonSerializer.Deserialize<T>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        var host = new MagicHost(() => []);
        MagicInvocation Bound(MlopsDirectiveCommand command) =>
            MagicParser.Bind(MlopsMagics.All.Single(m => m.Name == MlopsDirectiveCommand.SubcommandOf(command.GetType())), command.Values(MlopsMagics.All.Single(m => m.Name == MlopsDirectiveCommand.SubcommandOf(command.GetType()))), host);
        var bound = Bound(Json<MlopsStartRun>("""{"name":"my run","nested":true,"params":"trees=100","invokedDirective":"#!mlops start-run"}"""));
        var parsed = MagicParser.Parse("start-run --name \"my run\" --nested --params trees=100", MlopsMagics.All, host);
        foreach (var p in new[] { "name", "nested", "params" })
        {
            Assert.Equal(parsed.Get(p), bound.Get(p));
        }
        Assert.False(Bound(Json<MlopsStartRun>("""{"nested":false,"name":null}""")).Has("nested"));
        Assert.Equal("metrics.auc DESC", Bound(Json<MlopsRuns>("""{"orderBy":"metrics.auc DESC","max":5}""")).Get("order-by"));
        Assert.Equal("5", Bound(Json<MlopsRuns>("""{"max":5}""")).Get("max"));
        Assert.Equal("a1,b2", Bound(Json<MlopsCompare>("""{"runs":["a1","b2"]}""")).Get("runs"));
        var missing = Assert.Throws<MlopsException>(() => Bound(Json<MlopsLogParam>("{}")));
        Assert.Contains("<param> is required", missing.Message);
        Assert.Equal("orderBy", MagicParser.CamelCase("order-by"));
        Assert.Equal("name", MagicParser.CamelCase("name"));
    }

    [Fact]
    public void Each_mlops_line_of_a_cell_is_found_in_order_and_nothing_else()
    {
        var code = "#!mlops start-run --name a\r\n#!mlops log-param trees=1\n  #!mlops indented is code\n#!mlopsx no\n// #!mlops no\nvar s = \"#!mlops no\";\n#!mlops end-run";
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
