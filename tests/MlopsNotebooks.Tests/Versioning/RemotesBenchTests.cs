using System.Globalization;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Versioning;

/// <summary>bench/remotes.sh on its directory-remote path (small sizes): one command, one table, every remote against the directory.</summary>
public sealed class RemotesBenchTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Script => Path.Combine(Programs.RepositoryRoot, "bench", "remotes.sh");

    [Fact]
    public void The_remotes_benchmark_measures_push_and_pull_through_the_directory_remote_and_a_given_url_in_one_table()
    {
        var given = _dir.File("given-remote");

        var (code, output, error) = Programs.RunTool("bash", [Script, "--no-build", "--small", "120", "--big-mib", "3", given],
            environment: new Dictionary<string, string?> { ["TMPDIR"] = _dir.Path });

        Assert.True(code == 0, error + output);
        var rows = output.Split('\n').Where(l => l.StartsWith("| directory |", StringComparison.Ordinal) || l.StartsWith($"| {given} |", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries)[1..^1]).ToList();
        Assert.Equal(["push small", "push big", "pull small", "pull big"], rows.Take(4).Select(r => r[1]));
        Assert.Equal(["push small", "push big", "pull small", "pull big"], rows.Skip(4).Select(r => r[1]));
        foreach (var row in rows)
        {
            Assert.Equal(row[1].EndsWith("small", StringComparison.Ordinal) ? "121" : "1", row[2]); // the files and the folder's manifest
            Assert.True(double.Parse(row[4], CultureInfo.InvariantCulture) > 0, string.Join(" | ", row));
            Assert.True(double.Parse(row[6], CultureInfo.InvariantCulture) > 0, string.Join(" | ", row));
            Assert.EndsWith("x", row[7]);
        }
        Assert.All(rows.Take(4), r => Assert.Equal("1.00x", r[7]));
        Assert.Equal(3.1, double.Parse(rows[1][3], CultureInfo.InvariantCulture), 1);
        Assert.Equal([given], Directory.EnumerateFileSystemEntries(_dir.Path)); // the bench's own folders (in TMPDIR) are gone
    }

    [Theory]
    [InlineData("--small", "0")]
    [InlineData("--big-mib", "lots")]
    [InlineData("--fast", null)]
    public void The_remotes_benchmark_refuses_a_bad_option_as_bad_usage(string option, string? value)
    {
        var (code, _, error) = Programs.RunTool("bash", value is null ? [Script, "--no-build", option] : [Script, "--no-build", option, value]);
        Assert.Equal(2, code);
        Assert.Contains(option, error);
        Assert.Contains("Usage", error);
    }
}
