using System.Diagnostics;

namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// Jupyter's own validator (Debian's python3-nbformat under /usr/bin/python3, installed by test.sh). A test that needs
/// it fails when it is missing; it never skips.
/// </summary>
public static class NbFormat
{
    public static void AssertValid(string path)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("import sys, nbformat; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); print('valid')");
        info.ArgumentList.Add(path);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"/usr/bin/python3 is missing ({e.Message}); run ./test.sh, which installs python3-nbformat.");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEnd();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0 && output.Trim() == "valid", $"nbformat rejects {path}:\n{error}");
        }
    }
}
