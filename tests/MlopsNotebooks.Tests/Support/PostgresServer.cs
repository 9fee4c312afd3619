using System.Globalization;
using MlopsNotebooks.TeamStores.PostgreSql;
using Npgsql;

namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL 15 cluster on 127.0.0.1 and a free port, its data in a temp folder owned by postgres
/// (initdb refuses root), password logins only. <see cref="Shared"/> is started once per test run and stopped at
/// process exit; a test that restarts the server starts its own. Each store gets a fresh database copied from a
/// migrated template, so the contract suites stay fast.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public const string Bin = "/usr/lib/postgresql/15/bin";
    public const string User = "mlops_test";
    private const string Template = "mlops_template";
    private static readonly Lazy<PostgresServer> LazyShared = new(() =>
    {
        var server = Start();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return server;
    });

    private readonly string _folder;
    private readonly string _superPassword = Guid.NewGuid().ToString("N");
    private readonly object _creating = new();
    private int _databases;

    private PostgresServer(string folder, int port)
    {
        _folder = folder;
        Port = port;
    }

    /// <summary>The test run's server.</summary>
    public static PostgresServer Shared => LazyShared.Value;

    public int Port { get; }

    /// <summary>The test role's password: tests check that no message or output ever shows it.</summary>
    public string Password { get; } = "Pw-" + Guid.NewGuid().ToString("N")[..12];

    private string Data => Path.Combine(_folder, "data");

    /// <summary>initdb, then pg_ctl start; about 3 s.</summary>
    public static PostgresServer Start()
    {
        if (!File.Exists(Path.Combine(Bin, "initdb")))
        {
            throw new Xunit.Sdk.XunitException(
                $"PostgreSQL 15 is missing ({Bin}/initdb): apt-get install postgresql-15, or run ./test.sh, which installs it.");
        }
        StopAbandoned();
        var folder = Path.Combine(Path.GetTempPath(), FolderPrefix + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var server = new PostgresServer(folder, Ports.Free());
        try
        {
            server.Init();
            server.Run();
            server.Admin($"CREATE ROLE {User} LOGIN CREATEDB PASSWORD '{server.Password}'");
            server.Admin($"CREATE DATABASE {Template} OWNER {User}");
            new PostgresDatabase(server.Uri(Template)).Dispose();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private const string FolderPrefix = "mlops-pg-";
    private const string OwnerFile = "owner.pid";

    // A test process killed outright (a timeout) never runs its exit handler: the next run stops what it left.
    private static void StopAbandoned()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            var owner = Path.Combine(folder, OwnerFile);
            if (File.Exists(owner) && int.TryParse(File.ReadAllText(owner), CultureInfo.InvariantCulture, out var pid) && !Directory.Exists($"/proc/{pid}"))
            {
                new PostgresServer(folder, 0).Dispose();
            }
        }
    }

    private void Init()
    {
        var passwordFile = Path.Combine(_folder, "superuser-password");
        File.WriteAllText(passwordFile, _superPassword);
        RunAsPostgres("chown", "-R", "postgres", _folder);
        RunAsPostgres("runuser", "-u", "postgres", "--", Path.Combine(Bin, "initdb"), "-D", Data, "-U", "postgres", $"--pwfile={passwordFile}",
            "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8");
        File.Delete(passwordFile);
    }

    /// <summary>Starts the server (again, after a test stopped it), waiting until it takes connections.</summary>
    /// fsync is off: it matters only when the machine itself crashes, and the tests share a slow disk.
    public void Run() => Control("start", "-w", "-t", "60", "-l", Log, "-o",
        $"-c listen_addresses=127.0.0.1 -p {Port.ToString(CultureInfo.InvariantCulture)} -k {_folder} -c max_connections=200 -c fsync=off");

    /// <summary>pg_ctl restart -m fast: open connections are cut (57P01), committed transactions are kept.</summary>
    public void Restart() => Control("restart", "-m", "fast", "-w", "-t", "60", "-l", Log);

    // Without -l the server would inherit pg_ctl's output, and reading that to the end would never finish.
    private string Log => Path.Combine(_folder, "server.log");

    /// <summary>pg_ctl as postgres, e.g. ("restart", "-m", "fast", "-w").</summary>
    public void Control(params string[] args) =>
        RunAsPostgres(["runuser", "-u", "postgres", "--", Path.Combine(Bin, "pg_ctl"), "-D", Data, .. args]);

    private static void RunAsPostgres(params string[] command)
    {
        var (code, output, error) = Programs.RunTool(command[0], command[1..], timeoutSeconds: 120);
        if (code != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(command[0])} {string.Join(' ', command.Skip(1).Take(4))} failed ({code}): {output}{error}");
        }
    }

    /// <summary>A URI for the test role on <paramref name="database"/>, with the password unless told otherwise.</summary>
    public string Uri(string database, bool withPassword = true) =>
        $"postgresql://{User}{(withPassword ? ":" + Password : "")}@127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/{database}";

    /// <summary>A fresh database with the kit's schema (a copy of the migrated template); its URI.</summary>
    public string NewDatabase() => Uri(CreateDatabase(fromTemplate: true));

    /// <summary>A new database's name; empty (no schema) unless <paramref name="fromTemplate"/>.</summary>
    public string CreateDatabase(bool fromTemplate)
    {
        lock (_creating)
        {
            // One copy at a time: PostgreSQL refuses to copy a template that another CREATE DATABASE is reading.
            var name = $"t{Interlocked.Increment(ref _databases).ToString(CultureInfo.InvariantCulture)}_{Guid.NewGuid().ToString("N")[..6]}";
            Admin($"CREATE DATABASE {name} OWNER {User}" + (fromTemplate ? $" TEMPLATE {Template}" : ""));
            return name;
        }
    }

    /// <summary>Runs SQL as the superuser in <paramref name="database"/>.</summary>
    public void Admin(string sql, string database = "postgres")
    {
        using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Port, Username = "postgres", Password = _superPassword, Database = database, Pooling = false,
        }.ConnectionString);
        connection.Open();
        using var cmd = new NpgsqlCommand(sql, connection);
        cmd.ExecuteNonQuery();
    }

    /// <summary>A query's first column as the superuser, for checks that do not go through the store.</summary>
    public List<object?> Query(string sql, string database)
    {
        using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Port, Username = "postgres", Password = _superPassword, Database = database, Pooling = false,
        }.ConnectionString);
        connection.Open();
        using var cmd = new NpgsqlCommand(sql, connection);
        using var reader = cmd.ExecuteReader();
        var rows = new List<object?>();
        while (reader.Read())
        {
            rows.Add(reader.IsDBNull(0) ? null : reader.GetValue(0));
        }
        return rows;
    }

    public void Dispose()
    {
        try
        {
            if (File.Exists(Path.Combine(Data, "postmaster.pid")))
            {
                Control("stop", "-m", "immediate", "-w");
            }
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
