using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Runner;

/// <summary>
/// Resolves <c>#r "nuget: Name, Version"</c> (version optional) and plain <c>#r "path.dll"</c> for the scripting
/// session. Packages are restored by <c>dotnet restore</c> of a generated project from the configured sources (plus any
/// <c>#i "nuget: source"</c>), so NuGet's own rules pick versions and the assets for this framework; the restore is kept
/// per package set under the user's cache, so a second run restores nothing.
/// </summary>
public sealed class NuGetReferenceResolver : MetadataReferenceResolver
{
    // The shared framework's own assemblies: packages that carry copies of them (System.Memory, ...) defer to these.
    // Not the whole TPA list: the host's app-local dependencies (ML.NET's Newtonsoft.Json) are no reason to refuse a
    // notebook's package.
    private static readonly HashSet<string> FrameworkFiles = Directory
        .EnumerateFiles(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
        .Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static readonly List<string> NativeFolders = [];
    private static readonly Dictionary<string, string> ManagedByName = new(StringComparer.OrdinalIgnoreCase);
    private static bool _hooked;

    private readonly ScriptMetadataResolver _files;
    private readonly string _baseDirectory;

    public NuGetReferenceResolver(string baseDirectory)
    {
        _baseDirectory = baseDirectory;
        _files = ScriptMetadataResolver.Default.WithBaseDirectory(baseDirectory);
    }

    /// <summary>Package sources added by <c>#i "nuget: ..."</c> lines.</summary>
    public List<string> Sources { get; } = [];

    /// <summary>Packages referenced so far, name to version (as asked).</summary>
    public Dictionary<string, string> Packages { get; } = new(StringComparer.OrdinalIgnoreCase);

    public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties) =>
        _files.ResolveReference(reference, baseFilePath, properties);

    /// <summary>
    /// Adds a <c>nuget: Name, Version</c> reference (version optional); <see cref="RestoreAll"/> then gives the assemblies.
    /// Roslyn binds one <c>#r</c> to one assembly, so the runner takes these lines out of the code and adds the
    /// assemblies to the session, as the kernel does.
    /// </summary>
    public void AddPackage(string reference)
    {
        var parts = reference.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is 0 or > 2 || !parts[0].All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            throw new MlopsException($"'#r \"nuget: {reference}\"' does not name a package.", "Write #r \"nuget: Name, Version\" (the version may be left out).");
        }
        if (KitPackages.Contains(parts[0]))
        {
            return; // the kit itself: what the kernel gets from the package, the runner already references
        }
        Packages[parts[0]] = parts.Length == 2 ? parts[1] : "*";
    }

    // The notebook package and the core it depends on, by package id (each is its assembly's name).
    private static readonly HashSet<string> KitPackages = new(
        [typeof(Magics.MlopsMagics).Assembly.GetName().Name!, typeof(Mlops).Assembly.GetName().Name!], StringComparer.OrdinalIgnoreCase);

    /// <summary>The managed assemblies of every package added so far, restored together so that versions agree.</summary>
    public IReadOnlyList<string> RestoreAll() => Packages.Count == 0 ? [] : Restore();

    /// <summary>Restores every package referenced so far (one project, so versions agree) and returns the managed assets.</summary>
    private IReadOnlyList<string> Restore()
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n",
            Packages.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase).Select(p => $"{p.Key}/{p.Value}").Concat(Sources)))))[..16].ToLowerInvariant();
        var folder = Path.Combine(CacheRoot(), key);
        var assets = Path.Combine(folder, "obj", "project.assets.json");
        if (!File.Exists(assets))
        {
            Directory.CreateDirectory(folder);
            var project = new StringBuilder()
                .Append("<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n")
                .Append($"    <TargetFramework>net{Environment.Version.Major}.{Environment.Version.Minor}</TargetFramework>\n")
                .Append("    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>\n")
                .Append($"    <RestoreAdditionalProjectSources>{string.Join(';', Sources)}</RestoreAdditionalProjectSources>\n")
                .Append("  </PropertyGroup>\n  <ItemGroup>\n");
            foreach (var (name, version) in Packages)
            {
                project.Append($"    <PackageReference Include=\"{name}\" Version=\"{System.Security.SecurityElement.Escape(version)}\" />\n");
            }
            project.Append("  </ItemGroup>\n</Project>\n");
            File.WriteAllText(Path.Combine(folder, "restore.csproj"), project.ToString());
            // Files that sit above it (Directory.Build.props of a repository) must not change what is restored.
            File.WriteAllText(Path.Combine(folder, "Directory.Build.props"), "<Project />\n");
            File.WriteAllText(Path.Combine(folder, "Directory.Packages.props"), "<Project />\n");
            var (code, output) = Dotnet(folder, "restore", "restore.csproj", "-nologo", "-v", "quiet");
            if (code != 0 || !File.Exists(assets))
            {
                var errors = string.Join("\n", output.Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Select(l => l.Trim()).Distinct().Take(5));
                Directory.Delete(folder, recursive: true);
                throw new MlopsException($"Restoring {string.Join(", ", Packages.Select(p => $"{p.Key} {p.Value}"))} failed:\n{errors}",
                    "Check the package name and version, and that the package source is reachable (#i \"nuget: <source>\" adds one).");
            }
        }
        return Assets(assets);
    }

    private static IReadOnlyList<string> Assets(string assetsFile)
    {
        var root = JsonNode.Parse(File.ReadAllText(assetsFile))!;
        var packageFolder = ((JsonObject)root["packageFolders"]!).First().Key;
        var target = ((JsonObject)root["targets"]!).First(t => !t.Key.Contains('/')).Value!.AsObject();
        var managed = new List<string>();
        var rid = RuntimeInformation.RuntimeIdentifier;
        foreach (var (id, entry) in target)
        {
            if ((string?)entry!["type"] != "package")
            {
                continue;
            }
            var folder = Path.Combine(packageFolder, id.ToLowerInvariant());
            foreach (var (file, _) in entry["runtime"] as JsonObject ?? [])
            {
                if (!file.EndsWith("_._", StringComparison.Ordinal) && !FrameworkFiles.Contains(Path.GetFileName(file)))
                {
                    managed.Add(Path.Combine(folder, file));
                }
            }
            foreach (var (file, info) in entry["runtimeTargets"] as JsonObject ?? [])
            {
                var assetRid = (string?)info!["rid"];
                if ((string?)info["assetType"] == "native" && assetRid is not null && (rid.StartsWith(assetRid, StringComparison.Ordinal) || assetRid == "linux-x64" && OperatingSystem.IsLinux()))
                {
                    AddNativeFolder(Path.GetDirectoryName(Path.Combine(folder, file))!);
                }
            }
        }
        ShareWithHost(managed);
        return managed;
    }

    /// <summary>
    /// The kit's own code runs in the host's load context (the registry loading a model a notebook trained with
    /// FastTree, say): let that context find the restored assemblies too, when it asks for one it lacks.
    /// </summary>
    private static void ShareWithHost(IEnumerable<string> paths)
    {
        lock (ManagedByName)
        {
            var first = ManagedByName.Count == 0;
            foreach (var path in paths)
            {
                ManagedByName.TryAdd(Path.GetFileNameWithoutExtension(path), path);
            }
            if (first)
            {
                AssemblyLoadContext.Default.Resolving += (context, name) =>
                {
                    lock (ManagedByName)
                    {
                        return name.Name is { } simple && ManagedByName.TryGetValue(simple, out var path) ? context.LoadFromAssemblyPath(path) : null;
                    }
                };
            }
        }
    }

    /// <summary>
    /// Lets packages with native parts (ML.NET's FastTree, LightGbm, ...) find them when they load. Roslyn loads a
    /// script's dependencies into a load context of its own, so every context that loads an assembly gets the handler.
    /// </summary>
    private static void AddNativeFolder(string folder)
    {
        lock (NativeFolders)
        {
            if (!NativeFolders.Contains(folder))
            {
                NativeFolders.Add(folder);
            }
            if (_hooked)
            {
                return;
            }
            _hooked = true;
            var hooked = new HashSet<AssemblyLoadContext>();
            void Hook(AssemblyLoadContext? context)
            {
                lock (hooked)
                {
                    if (context is not null && hooked.Add(context))
                    {
                        context.ResolvingUnmanagedDll += (_, name) => LoadNative(name);
                    }
                }
            }
            Hook(AssemblyLoadContext.Default);
            foreach (var context in AssemblyLoadContext.All)
            {
                Hook(context);
            }
            AppDomain.CurrentDomain.AssemblyLoad += (_, e) => Hook(AssemblyLoadContext.GetLoadContext(e.LoadedAssembly));
        }
    }

    private static IntPtr LoadNative(string name)
    {
        lock (NativeFolders)
        {
            foreach (var dir in NativeFolders)
            {
                foreach (var candidate in new[] { name, $"lib{name}.so", $"{name}.so", $"lib{name}.dylib", $"{name}.dll" })
                {
                    var path = Path.Combine(dir, candidate);
                    if (File.Exists(path))
                    {
                        return NativeLibrary.Load(path);
                    }
                }
            }
        }
        return IntPtr.Zero;
    }

    private static string CacheRoot()
    {
        var baseFolder = Environment.GetEnvironmentVariable("MLOPS_NUGET_CACHE")
            ?? Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "mlops", "nuget");
        return baseFolder;
    }

    private static (int Code, string Output) Dotnet(string folder, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }

    public override bool ResolveMissingAssemblies => _files.ResolveMissingAssemblies;

    public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity) =>
        _files.ResolveMissingAssembly(definition, referenceIdentity);

    public override bool Equals(object? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => _baseDirectory.GetHashCode(StringComparison.Ordinal);
}
