namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// Jupyter's own validator (Debian's python3-nbformat under /usr/bin/python3, installed by test.sh). A test that needs
/// it fails when it is missing; it never skips.
/// </summary>
public static class NbFormat
{
    /// <summary>A multi-line string as nbformat stores it (a list of lines, or one string), joined; "" when absent.</summary>
    public static string Text(System.Text.Json.Nodes.JsonNode? lines) =>
        lines is System.Text.Json.Nodes.JsonArray a ? string.Concat(a.Select(l => (string)l!)) : (string?)lines ?? "";

    public static void AssertValid(string path)
    {
        var (code, output, error) = Programs.RunTool("/usr/bin/python3",
            ["-c", "import sys, nbformat; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); print('valid')", path]);
        Assert.True(code == 0 && output.Trim() == "valid", $"nbformat rejects {path}:\n{error}");
    }
}
