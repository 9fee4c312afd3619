using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Packaging;

namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// The released .NET Interactive kernel (the Microsoft.dotnet-interactive tool) run by Debian's Jupyter, as a user runs
/// a notebook headless: <c>jupyter nbconvert --execute</c>. The kit reaches it as a user's notebook loads it, with
/// <c>#r "nuget: MlopsNotebooks, ..."</c> from a feed of packages packed from this build. test.sh installs the tool and
/// the kernel spec; without them the tests fail, naming test.sh.
/// </summary>
public sealed class RealKernel : IDisposable
{
    private static readonly string Tools = Path.Combine(Programs.RepositoryRoot, "tests", "tools");
    private readonly TempDirectory _feed = new();

    public RealKernel()
    {
        var spec = Path.Combine(Tools, "jupyter", "kernels", ".net-csharp", "kernel.json");
        if (!File.Exists(spec) || !File.Exists("/usr/bin/jupyter-nbconvert"))
        {
            throw new InvalidOperationException($"The .NET Interactive kernel or Jupyter is not installed ({spec}); run ./test.sh, which installs them.");
        }
        foreach (var project in new[] { "MlopsNotebooks.Core", "MlopsNotebooks" })
        {
            var (code, stdout, stderr) = Programs.RunTool("dotnet",
                ["pack", Path.Combine(Programs.RepositoryRoot, "kernel-extension", project, project + ".csproj"), "-c", "Release", "--no-build", "-o", _feed.Path, "-nologo"],
                timeoutSeconds: 180);
            if (code != 0)
            {
                throw new InvalidOperationException(stdout + stderr);
            }
        }
        // The kernel's restore keeps packages here; the kit's own are dropped first, or a copy from an older build of the
        // same version would load instead of this one.
        Directory.CreateDirectory(Packages);
        foreach (var stale in Directory.GetDirectories(Packages, "mlopsnotebooks*"))
        {
            Directory.Delete(stale, recursive: true);
        }
    }

    public void Dispose() => _feed.Dispose();

    private static string Packages => Path.Combine(Tools, "kernel-nuget");

    /// <summary>The line pair that loads the kit built here, as a notebook's first cell has them.</summary>
    public string LoadLines => $"#i \"nuget: {_feed.Path}\"\n#r \"nuget: MlopsNotebooks, {ToolPackageTests.Version}\"";

    /// <summary>
    /// Writes a copy of an .ipynb into <paramref name="folder"/> that loads the kit from this build: the feed goes before
    /// its <c>#r "nuget: MlopsNotebooks</c> line, or a first cell loads it.
    /// </summary>
    public string LoadingTheKit(string notebook, string folder)
    {
        var json = JsonNode.Parse(File.ReadAllText(notebook))!;
        var cells = json["cells"]!.AsArray();
        var loading = cells.FirstOrDefault(c => NbFormat.Text(c!["source"]).Contains("#r \"nuget: MlopsNotebooks,", StringComparison.Ordinal));
        if (loading is not null)
        {
            loading["source"] = $"#i \"nuget: {_feed.Path}\"\n" + NbFormat.Text(loading["source"]);
        }
        else
        {
            cells.Insert(0, new JsonObject
            {
                ["cell_type"] = "code", ["execution_count"] = null, ["id"] = "load-the-kit", ["metadata"] = new JsonObject(),
                ["outputs"] = new JsonArray(), ["source"] = LoadLines,
            });
        }
        var copy = Path.Combine(folder, Path.GetFileName(notebook));
        File.WriteAllText(copy, json.ToJsonString());
        return copy;
    }

    /// <summary>Runs the notebook in the kernel, in its folder, and returns the executed notebook's cells.</summary>
    public JsonArray Execute(string notebook, IDictionary<string, string?> environment, int timeoutSeconds = 900)
    {
        var output = Path.ChangeExtension(notebook, ".kernel.ipynb");
        var env = new Dictionary<string, string?>(environment)
        {
            ["JUPYTER_PATH"] = Path.Combine(Tools, "jupyter"),
            ["NUGET_PACKAGES"] = Packages,
        };
        var (code, stdout, stderr) = Programs.RunTool("/usr/bin/jupyter",
            ["nbconvert", "--to", "notebook", "--execute", "--allow-errors", "--ExecutePreprocessor.kernel_name=.net-csharp",
             $"--ExecutePreprocessor.timeout={timeoutSeconds}", "--output", output, notebook],
            workingDirectory: Path.GetDirectoryName(notebook), environment: env, timeoutSeconds: timeoutSeconds + 60);
        if (code != 0)
        {
            throw new InvalidOperationException($"jupyter nbconvert failed ({code}):\n{stdout}\n{stderr}");
        }
        return JsonNode.Parse(File.ReadAllText(output))!["cells"]!.AsArray();
    }
}
