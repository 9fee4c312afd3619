namespace MlopsNotebooks;

/// <summary>Reads a user's text file (a notebook, a pointer file), turning I/O failures into a message, not a trace.</summary>
internal static class TextFiles
{
    public static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MlopsException($"Cannot read {path}: {e.Message}", "Check that the file exists and is readable.");
        }
    }
}
