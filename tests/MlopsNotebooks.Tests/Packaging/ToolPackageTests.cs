using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Packaging;

/// <summary>
/// The solution packs into a feed (the notebook package and the mlops tool, at the one version), and the tool installs
/// from that feed with dotnet tool install and runs from where it was installed: the Roslyn runner, ML.NET and SQLite's
/// native library load from the tool's own folder.
/// </summary>
[Collection(Packing)]
public sealed class ToolPackageTests
{
    /// <summary>Packing writes into the projects' obj folders, so the tests that pack in the repository take turns.</summary>
    public const string Packing = "dotnet pack in the repository";

    /// <summary>The one version of every package, set in Directory.Build.props.</summary>
    public static string Version =>
        XDocument.Load(Path.Combine(Programs.RepositoryRoot, "Directory.Build.props")).Descendants("Version").Single().Value;

    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/', '\\')).Parent!.Name;

    /// <summary>Packs the solution as built (no build) into a new folder and returns the packages, by file name.</summary>
    private static string[] Pack(string feed)
    {
        var (code, stdout, stderr) = Programs.RunTool("dotnet",
            ["pack", Path.Combine(Programs.RepositoryRoot, "MlopsNotebooks.sln"), "-c", Configuration, "--no-build", "-o", feed, "-nologo"],
            timeoutSeconds: 300);
        Assert.True(code == 0, stdout + stderr);
        return [.. Directory.GetFiles(feed, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
    }

    /// <summary>Installs the tool from the feed alone into a tool folder, with a packages folder of its own.</summary>
    private static string Install(string feed, string toolPath, string packages)
    {
        var (code, stdout, stderr) = Programs.RunTool("dotnet",
            ["tool", "install", "MlopsNotebooks.Tool", "--version", Version, "--tool-path", toolPath, "--source", feed],
            environment: new Dictionary<string, string?> { ["NUGET_PACKAGES"] = packages }, timeoutSeconds: 300);
        Assert.True(code == 0, stdout + stderr);
        return Path.Combine(toolPath, "mlops");
    }

    [Fact]
    public void The_solution_packs_the_notebook_package_and_the_tool_and_the_installed_tool_runs_notebooks_and_reads_stores()
    {
        using var dir = new TempDirectory();
        var feed = dir.File("feed");
        // Four packages at one version: the notebook package, the core it depends on, the team backends, and the tool; the runner and the
        // GitHub library travel inside the tool.
        Assert.Equal([$"MlopsNotebooks.{Version}.nupkg", $"MlopsNotebooks.Core.{Version}.nupkg", $"MlopsNotebooks.TeamStores.{Version}.nupkg", $"MlopsNotebooks.Tool.{Version}.nupkg"], Pack(feed));
        var mlops = Install(feed, dir.File("tools"), dir.File("packages"));
        Assert.StartsWith(dir.File("tools"), Path.GetFullPath(mlops));

        var (code, stdout, stderr) = Programs.RunTool(mlops, ["--help"]);
        Assert.True(code == 0, stderr);
        foreach (var command in new[] { "runs", "notebook", "data", "models", "validate" })
        {
            Assert.Matches($@"(?m)^\s+{command}\s", stdout);
        }

        var missing = dir.File("x.db");
        (code, stdout, stderr) = Programs.RunTool(mlops, ["runs", "list", "--tracking-uri", missing]);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains($"There is no tracking store at {missing}", stderr);

        // A notebook that logs a run: Roslyn compiles its cells, SQLite's native library stores the run, and the run
        // records the ML.NET version the tool carries.
        var store = dir.File("store.db");
        var environment = new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = store };
        var output = dir.File("out.ipynb");
        (code, stdout, stderr) = Programs.RunTool(mlops,
            ["notebook", "run", Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", "metrics.ipynb"), "-p", "auc=0.75", "--output", output],
            environment: environment);
        Assert.True(code == 0, stdout + stderr);
        NbFormat.AssertValid(output);
        (code, stdout, stderr) = Programs.RunTool(mlops, ["runs", "list", "-e", "validate", "--json"], environment: environment);
        Assert.True(code == 0, stderr);
        var run = Assert.Single(JsonNode.Parse(stdout)!.AsArray())!;
        Assert.Equal("FINISHED", (string)run["status"]!);
        Assert.Equal(0.75, (double)run["metrics"]!["auc"]!["value"]!);
        var mlNet = Assembly.Load("Microsoft.ML.Core").GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        Assert.Equal(mlNet, (string)run["tags"]!["mlops.mlnet.version"]!);
    }

    [Fact]
    public void Packing_the_same_build_twice_gives_the_same_bytes()
    {
        using var dir = new TempDirectory();
        var started = DateTimeOffset.Now;
        var first = Pack(dir.File("first"));
        var second = Pack(dir.File("second"));
        Assert.Equal(first, second);
        foreach (var package in first)
        {
            Assert.Equal(Hash(dir.File(Path.Combine("first", package))), Hash(dir.File(Path.Combine("second", package))));
            // Every entry carries one fixed time, not the time it was packed (zip times have a 2-second resolution).
            using var zip = ZipFile.OpenRead(dir.File(Path.Combine("first", package)));
            var time = Assert.Single(zip.Entries.Select(e => e.LastWriteTime).Distinct());
            Assert.True(time < started.AddSeconds(-2), $"{package}: its entries carry {time}, the time it was packed");
        }
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
