using System.Globalization;
using System.Text.RegularExpressions;

namespace MlopsNotebooks.Runner.Apps;

/// <summary>
/// Where a file-based app failed, read from what <c>dotnet run</c> printed: the first compiler error in the app
/// (<c>train.cs(12,5): error CS0103: ...</c>), else the unhandled exception and its deepest frame in the app
/// (<c>at ... in /path/train.cs:line 12</c>), else the exit code. The app is one cell: a failure is in cell 1.
/// </summary>
internal static partial class AppFailures
{
    public static FailedCell Read(string app, string output, int exitCode)
    {
        var lines = output.Replace("\r\n", "\n").Split('\n');
        var file = Path.GetFullPath(app);
        foreach (var line in lines)
        {
            if (CompilerError().Match(line) is { Success: true } m && SamePath(m.Groups["file"].Value, file))
            {
                return new FailedCell(1, Number(m.Groups["line"].Value), "CompilationError", $"{m.Groups["code"].Value}: {m.Groups["message"].Value.Trim()}") { SourceCell = 1 };
            }
        }
        // A package that does not restore is reported against the generated project: name the app's #:package line.
        if (lines.Select(l => RestoreError().Match(l)).FirstOrDefault(m => m.Success) is { } restore)
        {
            var package = restore.Groups["package"].Value.TrimEnd('.'); // "Unable to find package X. No packages ..."
            var directive = PackageLine(app, package);
            return new FailedCell(1, directive, "PackageRestoreError", $"{restore.Groups["code"].Value}: {restore.Groups["message"].Value.Trim()}") { SourceCell = 1 };
        }
        var thrown = Array.FindIndex(lines, l => l.StartsWith("Unhandled exception. ", StringComparison.Ordinal));
        if (thrown >= 0)
        {
            var text = lines[thrown]["Unhandled exception. ".Length..];
            var colon = text.IndexOf(": ", StringComparison.Ordinal);
            var (kind, message) = colon > 0 ? (text[..colon], text[(colon + 2)..]) : (text, "");
            int? at = null;
            foreach (var frame in lines.Skip(thrown + 1).TakeWhile(l => l.StartsWith("   ", StringComparison.Ordinal)))
            {
                if (Frame().Match(frame) is { Success: true } f && SamePath(f.Groups["file"].Value, file))
                {
                    at = Number(f.Groups["line"].Value);
                    break;
                }
            }
            return new FailedCell(1, at, kind, message) { SourceCell = 1 };
        }
        var errors = lines.Where(l => l.Contains(": error ", StringComparison.Ordinal)).Take(5).ToList();
        return new FailedCell(1, null, errors.Count > 0 ? "BuildError" : "ExitCode",
            errors.Count > 0 ? string.Join("\n", errors) : $"`dotnet run` exited with code {exitCode.ToString(CultureInfo.InvariantCulture)}.") { SourceCell = 1 };
    }

    private static int? PackageLine(string app, string package)
    {
        var lines = File.ReadAllLines(app);
        var index = Array.FindIndex(lines, l => l.StartsWith($"#:package {package}@", StringComparison.OrdinalIgnoreCase)
            || l.Trim().Equals($"#:package {package}", StringComparison.OrdinalIgnoreCase));
        return index < 0 ? null : index + 1;
    }

    private static bool SamePath(string printed, string file) =>
        string.Equals(Path.GetFullPath(printed.Trim()), file, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static int Number(string text) => int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?<file>.+?\.cs)\((?<line>\d+),\d+\): error (?<code>[A-Z]+\d+): (?<message>.*?)(\s\[[^\]]*\])?$")]
    private static partial Regex CompilerError();

    [GeneratedRegex(@"error (?<code>NU\d+): (?<message>.*?(?:package|Package) '?(?<package>[A-Za-z0-9_.\-]+)[ ']?.*?)(\s\[[^\]]*\])?$")]
    private static partial Regex RestoreError();

    [GeneratedRegex(@"^\s+at .* in (?<file>.+):line (?<line>\d+)\s*$")]
    private static partial Regex Frame();
}
