using YamlDotNet.RepresentationModel;

namespace MlopsNotebooks.Versioning;

/// <summary>
/// The committed project settings in <c>mlops.yaml</c> at the work tree root: data remotes and the cache link type.
/// <code>
/// data:
///   remote: shared
///   link: copy
/// remotes:
///   shared: /mnt/team/mlops-cache
/// </code>
/// </summary>
public sealed record ProjectConfig
{
    public const string FileName = "mlops.yaml";

    public IReadOnlyDictionary<string, string> Remotes { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
    public string? DefaultRemote { get; init; }
    public LinkType Link { get; init; } = LinkType.Copy;

    public static ProjectConfig Load(string root)
    {
        var path = Path.Combine(root, FileName);
        if (!File.Exists(path))
        {
            return new ProjectConfig();
        }
        MlopsException Bad(string problem) => new($"{path} is not valid: {problem}.", "Fix the file; `mlops remote add` writes a correct one.");
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(File.ReadAllText(path)));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw Bad($"line {e.Start.Line}: {e.Message}");
        }
        if (yaml.Documents.Count == 0)
        {
            return new ProjectConfig();
        }
        if (yaml.Documents[0].RootNode is not YamlMappingNode root0)
        {
            throw Bad("it is not a mapping of settings");
        }
        var remotes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        string? defaultRemote = null;
        var link = LinkType.Copy;
        foreach (var (keyNode, value) in root0.Children)
        {
            switch ((keyNode as YamlScalarNode)?.Value)
            {
                case "remotes" when value is YamlMappingNode map:
                    foreach (var (name, url) in map.Children)
                    {
                        if (name is not YamlScalarNode { Value: { Length: > 0 } key } || !IsRemoteName(key))
                        {
                            throw Bad($"line {name.Start.Line}: a remote's name must be letters, digits, '-' and '_'");
                        }
                        remotes[key] = url is YamlScalarNode { Value: { Length: > 0 } u } && Tracking.Names.FindUnsafeCharacter(u) < 0
                            ? u
                            : throw Bad($"remote '{key}' has no URL, or one with control characters");
                    }
                    break;
                case "data" when value is YamlMappingNode data:
                    foreach (var (name, setting) in data.Children)
                    {
                        var text = (setting as YamlScalarNode)?.Value;
                        switch ((name as YamlScalarNode)?.Value)
                        {
                            case "remote":
                                defaultRemote = text;
                                break;
                            case "link":
                                link = Enum.TryParse<LinkType>(text, ignoreCase: true, out var l)
                                    ? l
                                    : throw Bad($"data.link '{text}' is not one of copy, reflink, hardlink, symlink");
                                break;
                            default:
                                throw Bad($"unknown setting data.{name}");
                        }
                    }
                    break;
                default:
                    throw Bad($"unknown or malformed setting '{keyNode}'");
            }
        }
        if (defaultRemote is not null && !remotes.ContainsKey(defaultRemote))
        {
            throw Bad($"data.remote names '{defaultRemote}', which is not under remotes");
        }
        return new ProjectConfig { Remotes = remotes, DefaultRemote = defaultRemote, Link = link };
    }

    /// <summary>Remote names: letters, digits, '-' and '_' (they are printed and written back as bare YAML keys).</summary>
    public static bool IsRemoteName(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>Writes the settings (atomically), keys sorted so the file diffs cleanly.</summary>
    public void Save(string root)
    {
        var text = new System.Text.StringBuilder("# MlopsNotebooks project settings (commit this file).\n");
        text.Append("data:\n");
        text.Append("  link: ").Append(Link.ToString().ToLowerInvariant()).Append('\n');
        if (DefaultRemote is not null)
        {
            text.Append("  remote: ").Append(DefaultRemote).Append('\n');
        }
        if (Remotes.Count > 0)
        {
            text.Append("remotes:\n");
            foreach (var (name, url) in Remotes.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                text.Append("  ").Append(name).Append(": '").Append(url.Replace("'", "''")).Append("'\n");
            }
        }
        AtomicFile.WriteAllText(Path.Combine(root, FileName), text.ToString());
    }
}
