using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using MlopsNotebooks.Storage;

namespace MlopsNotebooks.Tracking;

/// <summary>
/// What every run records about where it came from, without the user asking: the code (git commit, dirty flag, the
/// notebook or program's path in the repository), the platform (OS, .NET, ML.NET) and the process that owns it
/// (host, pid, process start), which <see cref="RunLiveness"/> uses to tell a killed run from a live one.
/// </summary>
public static class RunContext
{
    public const string SourceName = "mlops.source.name";
    public const string SourceType = "mlops.source.type";
    public const string GitCommit = "mlops.source.git.commit";
    public const string GitDirty = "mlops.source.git.dirty";
    public const string GitBranch = "mlops.source.git.branch";
    public const string Os = "mlops.os";
    public const string DotnetVersion = "mlops.dotnet.version";
    public const string MlNetVersion = "mlops.mlnet.version";
    public const string User = "mlops.user";
    public const string Host = "mlops.host";
    public const string ProcessId = "mlops.process.id";
    public const string ProcessStart = "mlops.process.start";

    public const string NotebookHash = "mlops.notebook.hash";
    public const string NotebookParameters = "mlops.notebook.parameters";

    /// <summary>The validation (<c>mlops validate</c>) that ran the notebook: how it finds its runs in a shared store.</summary>
    public const string ValidationId = "mlops.validation_id";

    /// <summary>
    /// Set by hosts (the notebook runner) for the processes the code they run starts, to the notebook being run: the
    /// process's own runs record it (<see cref="Provenance.FromEnvironment"/>).
    /// </summary>
    public const string SourceVariable = "MLOPS_SOURCE";

    /// <summary>Set by the notebook runner: the notebook file's content hash and the parameters it was given (JSON).</summary>
    public const string NotebookHashVariable = "MLOPS_NOTEBOOK_HASH";
    public const string NotebookParametersVariable = "MLOPS_NOTEBOOK_PARAMETERS";

    /// <summary>Set by the notebook runner: tags (a JSON object) that every run the notebook starts gets.</summary>
    public const string RunTagsVariable = "MLOPS_RUN_TAGS";

    /// <summary>
    /// Set by a host for the code it runs (MLflow's MLFLOW_RUN_ID): a run it started, which that code's first top-level
    /// run continues (<see cref="Provenance.RunId"/>).
    /// </summary>
    public const string RunIdVariable = "MLOPS_RUN_ID";

    /// <summary>
    /// The tags for a run started now by code with this <paramref name="provenance"/> (given by the host that runs it;
    /// when not given, the current session's, so a run a notebook's cell creates through the client names the notebook;
    /// without a source, the program that started the process).
    /// </summary>
    public static IReadOnlyList<RunTag> Capture(Provenance? provenance = null, string? workingDirectory = null)
    {
        provenance ??= MlopsSession.Current.Provenance;
        workingDirectory ??= Directory.GetCurrentDirectory();
        var root = TrackingStores.FindWorkTreeRoot(workingDirectory);
        var tags = new List<RunTag>();
        void Add(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                tags.Add(new RunTag(key, value));
            }
        }

        var source = provenance.Source;
        var (sourcePath, sourceType) = source is not null ? (source, SourceKind(source)) : (FindProgram(), "PROGRAM");
        Add(SourceName, sourcePath is null ? null : RepoRelative(root, Path.GetFullPath(sourcePath, workingDirectory)));
        Add(SourceType, sourceType);
        Add(NotebookHash, provenance.NotebookHash);
        Add(NotebookParameters, provenance.NotebookParameters);
        foreach (var (key, value) in provenance.Tags ?? new Dictionary<string, string>())
        {
            Names.ValidateKey("tag", key);
            Names.ValidateValue("tag", key, value, Names.MaxTagValueLength);
            Add(key, value);
        }
        if (Directory.Exists(Path.Combine(root, ".git")) || File.Exists(Path.Combine(root, ".git")))
        {
            var commit = GitCli.TryRun(root, "rev-parse", "HEAD")?.Trim();
            Add(GitCommit, commit);
            if (commit is not null)
            {
                Add(GitDirty, GitCli.TryRun(root, "status", "--porcelain", "--untracked-files=no") is { Length: > 0 } ? "true" : "false");
                Add(GitBranch, GitCli.TryRun(root, "rev-parse", "--abbrev-ref", "HEAD")?.Trim() is { } b && b != "HEAD" ? b : null);
            }
        }
        Add(Os, RuntimeInformation.OSDescription);
        Add(DotnetVersion, Environment.Version.ToString());
        Add(MlNetVersion, FindMlNetVersion());
        Add(User, Environment.UserName);
        Add(Host, Environment.MachineName);
        using var self = Process.GetCurrentProcess();
        Add(ProcessId, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add(ProcessStart, StartMillis(self).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return tags;
    }

    internal static long StartMillis(Process process) =>
        new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();

    private static string SourceKind(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".ipynb" or ".dib" ? "NOTEBOOK" : "PROGRAM";

    /// <summary>For a program: its project folder's .csproj if it can be found above the binary, else the binary.</summary>
    private static string? FindProgram()
    {
        var entry = Assembly.GetEntryAssembly();
        if (entry is null || string.IsNullOrEmpty(entry.Location))
        {
            return null;
        }
        var project = entry.GetName().Name + ".csproj";
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(entry.Location)!); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, project);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return entry.Location;
    }

    private static string RepoRelative(string root, string path)
    {
        var relative = Path.GetRelativePath(root, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)
            ? path
            : relative.Replace('\\', '/');
    }

    private static string? FindMlNetVersion()
    {
        var assembly = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "Microsoft.ML.Core");
        if (assembly is null)
        {
            try
            {
                assembly = Assembly.Load(new AssemblyName("Microsoft.ML.Core"));
            }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                return null;
            }
        }
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString();
        return version?.Split('+')[0];
    }
}

/// <summary>
/// Tells a live run from one whose process is gone. A run killed with SIGKILL (or lost with its machine) still says
/// RUNNING in the store, since nothing was left to end it; readers mark it stale instead of guessing an end time.
/// Stale when: on this host, the process recorded in its tags no longer exists (or is another process with the same
/// pid); elsewhere, no heartbeat for <see cref="StaleAfter"/>.
/// </summary>
public static class RunLiveness
{
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(3);

    public static Run Assess(Run run, DateTimeOffset now) =>
        run.Status == RunStatus.Running ? run with { IsStale = IsStale(run, now) } : run;

    private static bool IsStale(Run run, DateTimeOffset now)
    {
        if (run.Tags.TryGetValue(RunContext.Host, out var host) && host == Environment.MachineName
            && run.Tags.TryGetValue(RunContext.ProcessId, out var pidText) && int.TryParse(pidText, out var pid))
        {
            return !IsAlive(pid, run.Tags.GetValueOrDefault(RunContext.ProcessStart));
        }
        var last = run.HeartbeatTime ?? run.StartTime;
        return now - last > StaleAfter;
    }

    /// <summary>
    /// Whether the process <paramref name="pid"/> is running, and when <paramref name="startMillis"/> is known, is the
    /// one that started then (a pid may have been reused).
    /// </summary>
    internal static bool IsAlive(int pid, string? startMillis = null)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited)
            {
                return false;
            }
            // The pid may have been reused: the start time must match too (to the second, as /proc reports it).
            return startMillis is null || !long.TryParse(startMillis, out var start)
                || Math.Abs(RunContext.StartMillis(process) - start) < 2000;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
