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
    public static Process Start(string dll, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }
        return Process.Start(info)!;
    }

    /// <summary>Runs a program to the end and returns its exit code and output.</summary>
    public static (int ExitCode, string Output, string Error) Run(string dll, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string?>? environment = null, int timeoutSeconds = 120)
    {
        using var process = Start(dll, args, workingDirectory, environment);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(dll)} did not finish in {timeoutSeconds} s.");
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
