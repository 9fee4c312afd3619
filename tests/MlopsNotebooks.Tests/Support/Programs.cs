using System.Diagnostics;

namespace MlopsNotebooks.Tests.Support;

/// <summary>Paths of the repository's own programs, built beside the tests in the same configuration.</summary>
public static class Programs
{
    public static string RepositoryRoot { get; } = FindRoot();

    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/', '\\')).Parent!.Name;

    public static string TrackingWorker => Built("tests/TrackingWorker", "TrackingWorker.dll");

    public static string Mlops => Built("actions/Mlops.Cli", "mlops.dll");

    private static string Built(string project, string dll)
    {
        var path = Path.Combine(RepositoryRoot, project, "bin", Configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {project} first ({path} is missing).");
    }

    /// <summary>Starts `dotnet program.dll args` with output captured.</summary>
    public static Process Start(string dll, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string?>? environment = null) =>
        StartTool("dotnet", [dll, .. args], workingDirectory, environment);

    /// <summary>Runs a program to the end and returns its exit code and output.</summary>
    public static (int ExitCode, string Output, string Error) Run(string dll, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string?>? environment = null, int timeoutSeconds = 120) =>
        RunTool("dotnet", [dll, .. args], workingDirectory, environment, timeoutSeconds);

    /// <summary>
    /// Starts a tool the tests need (dotnet, node, bash, python3) with output captured. A missing tool fails the test,
    /// naming test.sh, which installs them: nothing is skipped.
    /// </summary>
    public static Process StartTool(string file, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }
        try
        {
            return Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{file} is missing ({e.Message}); run ./test.sh, which installs what the tests need.");
        }
    }

    /// <summary>Runs a tool to the end and returns its exit code and output.</summary>
    public static (int ExitCode, string Output, string Error) RunTool(string file, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string?>? environment = null, int timeoutSeconds = 120)
    {
        using var process = StartTool(file, args, workingDirectory, environment);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} {string.Join(' ', args.Take(1))} did not finish in {timeoutSeconds} s.");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MlopsNotebooks.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("The tests must run from inside the repository.");
    }
}
