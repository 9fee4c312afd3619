using System.Security.Cryptography;
using MlopsNotebooks.Cli;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Storage;

/// <summary>
/// The store's file and the machine under it misbehave: missing, read-only, full, not a database, corrupt. Each is a
/// message naming the file and exit 1, never an internal error, and nothing is changed.
/// </summary>
public sealed class StoreEnvironmentTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (int Code, string Out, string Err) Mlops(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = MlopsCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string RecordRun(string path)
    {
        using var client = new TrackingClient(path);
        var run = client.CreateRun("env", "victim");
        client.LogBatch(run.RunId, [new Metric("auc", 0.9, 1, 1)], [new Param("trainer", "FastTree")]);
        client.SetTerminated(run.RunId);
        return run.RunId;
    }

    private static string Digest(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void Reading_commands_on_a_missing_store_say_there_is_none_and_create_nothing()
    {
        var missing = _dir.File("nonexistent/dir/x.db");
        foreach (var command in new[] { new[] { "runs", "list" }, ["runs", "search", "-f", "metrics.auc > 0"], ["runs", "show", "abc"],
            ["runs", "history", "abc", "auc"], ["runs", "compare", "abc", "def"], ["experiments", "list"] })
        {
            var (code, output, error) = Mlops([.. command, "--tracking-uri", missing]);
            Assert.True(code == MlopsCli.UserError, string.Join(' ', command) + ": " + error);
            Assert.Equal("", output);
            Assert.Contains($"There is no tracking store at {missing}", error);
        }
        Assert.False(Directory.Exists(_dir.File("nonexistent")), "a read created the store's folders");

        // The default store, .mlops/mlops.db at the work tree's root: reading does not create .mlops/ either.
        using var repo = new GitRepository();
        var (exit, _, stderr) = Programs.Run(Programs.Mlops, ["runs", "list"], repo.Root,
            new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = null });
        Assert.True(exit == MlopsCli.UserError, stderr);
        Assert.Contains("There is no tracking store at", stderr);
        Assert.False(Directory.Exists(repo.PathOf(".mlops")), "a read created .mlops/");
    }

    [Fact]
    public void A_store_on_a_read_only_file_system_is_read_and_refuses_writes_with_a_message()
    {
        using var disk = new Tmpfs("4m");
        var store = disk.File("mlops.db");
        var runId = RecordRun(store);
        var before = Digest(store);
        disk.MakeReadOnly();

        var (code, output, error) = Mlops("runs", "list", "--tracking-uri", store);
        Assert.True(code == 0, error);
        Assert.Contains("victim", output);
        Assert.Equal(0, Mlops("runs", "show", runId, "--tracking-uri", store).Code);
        Assert.Equal(0, Mlops("runs", "search", "-f", "params.trainer = 'FastTree'", "--tracking-uri", store).Code);

        (code, _, error) = Mlops("runs", "delete", runId, "--tracking-uri", store);
        Assert.True(code == MlopsCli.UserError, error);
        Assert.Contains(store, error);
        Assert.DoesNotContain("internal error", error);
        Assert.Equal(before, Digest(store));
    }

    [Fact]
    public void A_full_disk_fails_a_write_with_a_message_and_changes_nothing()
    {
        using var disk = new Tmpfs("2m");
        var store = disk.File("mlops.db");
        var runId = RecordRun(store);
        var filler = disk.Fill();

        var (code, _, error) = Mlops("runs", "delete", runId, "--tracking-uri", store);
        Assert.True(code == MlopsCli.UserError, error);
        Assert.Contains(store, error);
        Assert.DoesNotContain("internal error", error);
        // Through the API too: a typed error naming the store, not a raw SqliteException.
        var thrown = Assert.ThrowsAny<MlopsException>(() =>
        {
            using var client = new TrackingClient(store);
            client.CreateRun("env", new string('x', 200));
        });
        Assert.Contains(store, thrown.Message);

        File.Delete(filler);
        using var reader = new TrackingClient(store);
        Assert.Equal(LifecycleStage.Active, reader.GetRun(runId).Stage);
        Assert.Single(reader.SearchRuns(["env"]));
    }

    public static TheoryData<string> Damages => ["directory", "text", "truncated", "garbage pages", "empty database"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_store_file_that_is_not_a_readable_database_is_a_message_and_is_left_as_it_is(string damage)
    {
        var store = _dir.File("mlops.db");
        if (damage == "directory")
        {
            // A folder given as the URI holds the store as mlops.db: here that is a folder too.
            Directory.CreateDirectory(Path.Combine(store, "mlops.db"));
        }
        else if (damage == "text")
        {
            File.WriteAllText(store, "these are my notes\n");
        }
        else if (damage == "empty database")
        {
            File.WriteAllBytes(store, []);
        }
        else
        {
            RecordRun(store);
            var bytes = File.ReadAllBytes(store);
            if (damage == "truncated")
            {
                bytes = bytes[..(bytes.Length / 3)];
            }
            else
            {
                new Random(7).NextBytes(bytes.AsSpan(4096));
            }
            File.WriteAllBytes(store, bytes);
        }
        var before = File.Exists(store) ? Digest(store) : null;
        var commands = new List<string[]> { new[] { "runs", "list" }, new[] { "experiments", "list" } };
        if (damage != "empty database")
        {
            commands.Add(["runs", "delete", "abc"]); // an empty file is where a writer may start a new store
        }
        foreach (var command in commands)
        {
            var (code, _, error) = Mlops([.. command, "--tracking-uri", store]);
            Assert.True(code == MlopsCli.UserError, $"{damage}, {string.Join(' ', command)}: exit {code}: {error}");
            Assert.Contains(store, error);
            Assert.DoesNotContain("internal error", error);
            Assert.True(error.TrimEnd().Split('\n').Length >= 2, "a hint follows the message");
        }
        Assert.Equal(before, File.Exists(store) ? Digest(store) : null);
    }
}
