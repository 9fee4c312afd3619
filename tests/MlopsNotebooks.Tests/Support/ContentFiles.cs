using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Support;

/// <summary>Small files with known content, for the suites of the content-addressed seams.</summary>
public static class ContentFiles
{
    /// <summary>A new file in <paramref name="dir"/> holding <paramref name="content"/>, with its hash.</summary>
    public static (ContentHash Hash, string File) NewFile(this TempDirectory dir, string content)
    {
        var path = dir.File($"{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, content);
        return (ContentHash.OfFile(path), path);
    }

    /// <summary>Reads a stream to the end (which is when verifying streams check what they read) and closes it.</summary>
    public static string ReadAll(Stream stream)
    {
        using (stream)
        using (var reader = new StreamReader(stream))
        {
            return reader.ReadToEnd();
        }
    }
}
