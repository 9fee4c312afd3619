
namespace MlopsNotebooks.Tests.Support;

/// <summary>A real git repository in a temporary folder.</summary>
public sealed class GitRepository : IDisposable
{
    private readonly TempDirectory _dir = new();

    public GitRepository()
    {
        Git("init", "-q", "-b", "main");
    }

    public string Root => _dir.Path;

    public string PathOf(string relative) => System.IO.Path.Combine(Root, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));

    public string Write(string relative, string content)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public void Commit(string message)
    {
        Git("add", "-A");
        Git("-c", "user.email=test@example.com", "-c", "user.name=test", "commit", "-qm", message);
    }

    public string Git(params string[] args)
    {
        var (code, output, error) = Programs.RunTool("git", args, Root);
        if (code != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {error}");
        }
        return output.Trim();
    }

    public void Dispose() => _dir.Dispose();
}
