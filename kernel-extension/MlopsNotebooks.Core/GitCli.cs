using System.Diagnostics;

namespace MlopsNotebooks;

/// <summary>Runs git in a work tree. Used for provenance (commit, dirty flag) and for reading pointer files at revisions.</summary>
internal static class GitCli
{
    /// <summary>The command's standard output, or null when git is missing or the command failed.</summary>
    public static string? TryRun(string workTree, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add("-C");
            info.ArgumentList.Add(workTree);
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }
            using var git = Process.Start(info)!;
            var output = git.StandardOutput.ReadToEndAsync();
            _ = git.StandardError.ReadToEndAsync();
            if (!git.WaitForExit(60_000))
            {
                git.Kill();
                return null;
            }
            return git.ExitCode == 0 ? output.Result : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // git is not installed
        }
    }
}
