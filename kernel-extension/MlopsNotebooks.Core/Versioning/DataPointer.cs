using System.Globalization;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace MlopsNotebooks.Versioning;

/// <summary>
/// The small text file committed to git in place of the data: <c>churn.csv.mlops</c> beside <c>churn.csv</c>. It says
/// the hash, size and file count, in a fixed order with no timestamps, so the same data always gives the same bytes
/// and a diff of it reads as "the data changed".
/// </summary>
public sealed record DataPointer(string DataName, ContentHash Hash, long Size, int Files, bool IsDirectory)
{
    public const string Extension = ".mlops";

    private const string Header =
        "# Data versioned with MlopsNotebooks: `mlops data pull` fetches it, `mlops data checkout` restores it.\n";

    public string ToText() => new StringBuilder(Header)
        .Append("path: ").Append(Quote(DataName)).Append('\n')
        .Append("type: ").Append(IsDirectory ? "directory" : "file").Append('\n')
        .Append("hash: ").Append(Hash).Append('\n')
        .Append("size: ").Append(Size.ToString(CultureInfo.InvariantCulture)).Append('\n')
        .Append("files: ").Append(Files.ToString(CultureInfo.InvariantCulture)).Append('\n')
        .ToString();

    public static DataPointer Read(string pointerPath)
    {
        return Parse(TextFiles.Read(pointerPath), pointerPath);
    }

    public static DataPointer Parse(string text, string pointerPath)
    {
        MlopsException Bad(string problem) => new(
            $"The pointer file {pointerPath} is not valid: {problem}.",
            "Restore it from git (git checkout -- <file>) or version the data again with `mlops data add`.");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(text));
            if (yaml.Documents.Count != 1 || yaml.Documents[0].RootNode is not YamlMappingNode map)
            {
                throw Bad("it is not a list of 'key: value' lines");
            }
            foreach (var (key, value) in map.Children)
            {
                if (key is YamlScalarNode { Value: { } k } && value is YamlScalarNode { Value: { } v })
                {
                    fields[k] = v;
                }
            }
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw Bad($"line {e.Start.Line}: {e.Message}");
        }
        string Field(string name) => fields.TryGetValue(name, out var value) ? value : throw Bad($"it has no '{name}'");
        var name = Field("path");
        if (SafePaths.ProblemWithName(name) is { } problem)
        {
            throw Bad($"its path '{Tracking.Names.Printable(name)}' is refused ({problem}): it must name a file or folder beside the pointer file");
        }
        if (!ContentHash.TryParse(Field("hash"), out var hash))
        {
            throw Bad($"its hash '{Field("hash")}' is not sha256: followed by 64 hexadecimal digits");
        }
        if (!long.TryParse(Field("size"), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw Bad($"its size '{Field("size")}' is not a number");
        }
        if (!int.TryParse(Field("files"), NumberStyles.None, CultureInfo.InvariantCulture, out var files))
        {
            throw Bad($"its file count '{Field("files")}' is not a number");
        }
        var type = Field("type");
        if (type is not ("file" or "directory"))
        {
            throw Bad($"its type '{type}' is neither 'file' nor 'directory'");
        }
        return new DataPointer(name, hash, size, files, type == "directory");
    }

    // Plain names stay bare; anything YAML could misread is single-quoted.
    private static string Quote(string value) =>
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') && !value.StartsWith('-')
            ? value
            : "'" + value.Replace("'", "''") + "'";
}
