using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Kernel;

/// <summary>
/// The kernel as a user installs it: <c>mlops kernel install --prefix</c> into a temp folder that JUPYTER_PATH names, so
/// Jupyter's own clients from Debian (jupyter_client, jupyter_kernel_test, nbconvert under /usr/bin/python3) start the
/// built mlops. test.sh installs the clients; without them the tests fail, naming test.sh.
/// </summary>
public sealed class InstalledKernel : IDisposable
{
    public const string Name = "mlops-csharp";

    private static readonly string Tools = Path.Combine(Programs.RepositoryRoot, "tests", "tools");
    private readonly TempDirectory _prefix = new();

    public InstalledKernel()
    {
        var (code, _, error) = Programs.RunTool("/usr/bin/python3", ["-c", "import jupyter_client, jupyter_kernel_test"]);
        if (code != 0)
        {
            throw new InvalidOperationException($"Jupyter's clients are missing (python3-jupyter-client, python3-jupyter-kernel-test); run ./test.sh, which installs them.\n{error}");
        }
        var (installed, output, stderr) = Programs.Run(Programs.Mlops, ["kernel", "install", "--prefix", _prefix.Path]);
        Assert.True(installed == 0, output + stderr);
    }

    public void Dispose() => _prefix.Dispose();

    /// <summary>The folder Jupyter searches (JUPYTER_PATH), whose kernels/ holds the spec.</summary>
    public string JupyterPath => Path.Combine(_prefix.Path, "share", "jupyter");

    public IDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["JUPYTER_PATH"] = JupyterPath,
        ["MLOPS_KERNEL_NAME"] = Name,
        ["JUPYTER_RUNTIME_DIR"] = Path.Combine(_prefix.Path, "runtime"),
    };

    /// <summary>The text a cell showed in a scenario's result: its streams and its results' plain text and HTML.</summary>
    public static string Shown(JsonNode cell) => string.Concat(cell["outputs"]!.AsArray().Select(o =>
        (string?)o!["content"]!["text"] ?? string.Concat(o["content"]!["data"]?.AsObject().Select(d => d.Value?.ToString()) ?? [])));

    /// <summary>Runs a python tool from tests/tools under Debian's python3.</summary>
    public (int ExitCode, string Output, string Error) Python(IEnumerable<string> args, string? workingDirectory = null, int timeoutSeconds = 300) =>
        Programs.RunTool("/usr/bin/python3", args, workingDirectory ?? Tools, Environment, timeoutSeconds);

    /// <summary>
    /// Runs one scenario of tests/tools/kernel_driver.py (jupyter_client's KernelManager and client, as a notebook
    /// front end drives a kernel) and returns what it saw, with the kernel's stderr.
    /// </summary>
    public (JsonObject Result, string KernelError) Drive(string scenario)
    {
        using var scratch = new TempDirectory();
        var stderr = scratch.File("kernel.err");
        var (code, output, error) = Python(["kernel_driver.py", scenario, stderr]);
        Assert.True(code == 0, $"kernel_driver.py {scenario} failed ({code}):\n{output}\n{error}\n{(File.Exists(stderr) ? File.ReadAllText(stderr) : "")}");
        return (JsonNode.Parse(output.Trim().Split('\n')[^1])!.AsObject(), File.ReadAllText(stderr));
    }
}
