using MlopsNotebooks.Tests.Packaging;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Cli;

/// <summary>
/// The kit packed from this build into a feed, for file-based apps that say <c>#:package MlopsNotebooks@...</c>: a
/// nuget.config beside the app adds the feed. Restores go to a packages folder of their own, cleared of the kit's
/// packages first, so that a copy from an older build of the same version never loads; it outlives the run, so ML.NET is
/// downloaded once.
/// </summary>
public sealed class FileBasedAppFeed : IDisposable
{
    private readonly TempDirectory _feed = new();

    public FileBasedAppFeed()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/', '\\')).Parent!.Name;
        foreach (var project in new[] { "MlopsNotebooks.Core", "MlopsNotebooks" })
        {
            var (code, stdout, stderr) = Programs.RunTool("dotnet",
                ["pack", Path.Combine(Programs.RepositoryRoot, "kernel-extension", project, project + ".csproj"), "-c", configuration, "--no-build", "-o", _feed.Path, "-nologo"],
                timeoutSeconds: 180);
            Assert.True(code == 0, stdout + stderr);
        }
        Directory.CreateDirectory(Packages);
        foreach (var stale in Directory.GetDirectories(Packages, "mlopsnotebooks*"))
        {
            Directory.Delete(stale, recursive: true);
        }
    }

    public static string Packages { get; } = Path.Combine(Path.GetTempPath(), "mlops-tests-app-packages");

    public static string Version => ToolPackageTests.Version;

    /// <summary>The nuget.config that adds the feed to the machine's sources.</summary>
    public string NuGetConfig => $"<configuration><packageSources><add key=\"kit\" value=\"{_feed.Path}\" /></packageSources></configuration>\n";

    public IDictionary<string, string?> Environment(string store) => new Dictionary<string, string?>
    {
        ["NUGET_PACKAGES"] = Packages,
        ["MLOPS_TRACKING_URI"] = store,
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
    };

    public void Dispose() => _feed.Dispose();
}
