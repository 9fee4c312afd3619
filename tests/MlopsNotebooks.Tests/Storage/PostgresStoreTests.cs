using System.Globalization;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Storage;
using MlopsNotebooks.TeamStores.PostgreSql;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Storage;

/// <summary>
/// What is particular to the PostgreSQL store on a real server: its URI, where the password comes from, what a user is
/// told when the server, database or password is wrong, foreign databases, and writers racing one another.
/// </summary>
public sealed class PostgresStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
    private readonly TempDirectory _dir = new();
    private readonly PostgresServer _server = PostgresServer.Shared;

    public void Dispose() => _dir.Dispose();

    private static ITrackingStore Open(string uri, string? artifactUri = null, bool readOnly = false) =>
        TrackingStores.Registry.For(uri)(new StoreAddress(uri, Path.GetTempPath(), readOnly) { ArtifactUri = artifactUri });

    private static T Refused<T>(Func<object> open, string password) where T : MlopsException
    {
        var error = Assert.Throws<T>(() => (open() as IDisposable)?.Dispose());
        Assert.DoesNotContain(password, error.Message + error.Hint + error.InnerException?.Message);
        return error;
    }

    [Fact]
    public void The_location_names_user_host_port_and_database_but_never_the_password()
    {
        var uri = _server.NewDatabase();
        using var store = Open(uri);
        Assert.Equal(_server.Uri(new Uri(uri).AbsolutePath.TrimStart('/'), withPassword: false), store.Location);
        Assert.DoesNotContain(_server.Password, store.Location);

        var address = PostgresAddress.Parse("postgres://team%20member:p%40ss%3Aw%2Frd@[::1]:6543/ml%2Fops?sslmode=require&connect_timeout=5");
        Assert.Equal(("team member", "p@ss:w/rd", "::1", 6543, "ml/ops"), (address.User, address.Password, address.Host, address.Port, address.Database));
        Assert.Equal("postgresql://team%20member@[::1]:6543/ml%2Fops", address.Location);
        Assert.Equal(address with { Password = null }, PostgresAddress.Parse(address.Location) with { SslMode = address.SslMode, ConnectTimeout = 5 });
    }

    [Fact]
    public void A_user_and_password_with_reserved_characters_connect_when_percent_encoded()
    {
        const string password = "p@ss:w/rd%?";
        _server.Admin($"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'team member') THEN CREATE ROLE \"team member\" LOGIN PASSWORD '{password}'; END IF; END $$");
        var database = _server.CreateDatabase(fromTemplate: false);
        _server.Admin($"GRANT ALL ON SCHEMA public TO \"team member\"", database);
        using var store = Open($"postgresql://team%20member:{Uri.EscapeDataString(password)}@127.0.0.1:{_server.Port}/{database}");
        Assert.Equal("Default", store.ListExperiments(ViewType.ActiveOnly).Single().Name);
    }

    [Theory]
    [InlineData("?target_session_attrs=any", "the parameter 'target_session_attrs' is not supported", "Supported parameters: sslmode, connect_timeout")]
    [InlineData("?sslmode=always", "sslmode 'always' is not one of", "postgresql://user[:password]@host[:port]/database")]
    [InlineData("?connect_timeout=soon", "connect_timeout 'soon' is not a whole number", "postgresql://user[:password]@host[:port]/database")]
    public void A_query_parameter_the_store_does_not_take_is_refused_naming_it(string query, string expected, string hint)
    {
        var uri = _server.Uri("postgres") + query;
        var error = Refused<MlopsException>(() => Open(uri), _server.Password);
        Assert.Contains(expected, error.Message);
        Assert.Contains(hint, error.Hint);
    }

    [Theory]
    [InlineData("postgresql://u:secret-in-uri@127.0.0.1:5432", "names no database")]
    [InlineData("postgresql://u:secret-in-uri@127.0.0.1:99999/db", "the port '99999' is not a number")]
    [InlineData("postgresql://u:secret-in-uri@/db", "names no host")]
    [InlineData("postgresql://u:secret-in-uri@127.0.0.1/d%zzb", "malformed %-escape")]
    public void A_malformed_uri_is_refused_without_repeating_its_password(string uri, string expected)
    {
        var error = Refused<MlopsException>(() => Open(uri), "secret-in-uri");
        Assert.Contains(expected, error.Message);
        Assert.NotNull(error.Hint);
    }

    [Fact]
    public void A_wrong_password_says_to_check_it_and_never_shows_it()
    {
        const string wrong = "not-the-Pw-123";
        var uri = $"postgresql://{PostgresServer.User}:{wrong}@127.0.0.1:{_server.Port}/postgres";
        var error = Refused<TrackingStoreException>(() => Open(uri), wrong);
        Assert.Contains($"refused the password of {PostgresServer.User}", error.Message);
        Assert.Contains("PGPASSWORD", error.Hint);
        Assert.DoesNotContain(_server.Password, error.Message);
    }

    [Fact]
    public void A_missing_database_says_to_create_it()
    {
        var uri = _server.Uri("no_such_db");
        var error = Refused<TrackingStoreException>(() => Open(uri), _server.Password);
        Assert.Contains("The database 'no_such_db' does not exist", error.Message);
        Assert.Contains("CREATE DATABASE", error.Hint);
    }

    [Fact]
    public void A_port_where_nothing_listens_says_to_start_the_server_or_fix_the_port()
    {
        var port = Ports.Free();
        var error = Refused<TrackingStoreException>(() => Open($"postgresql://u:secret-pw@127.0.0.1:{port}/mlops"), "secret-pw");
        Assert.Contains($"Nothing answers as PostgreSQL at 127.0.0.1:{port}", error.Message);
        Assert.Contains("Start the server", error.Hint);
    }

    [Fact]
    public void Without_a_password_anywhere_the_message_says_where_to_put_one()
    {
        // A child process, so that this test's PGPASSWORD and HOME (no ~/.pgpass) are its own.
        var (code, output, error) = Mlops(["runs", "list", "--tracking-uri", _server.Uri(_server.CreateDatabase(fromTemplate: true), withPassword: false)],
            new() { ["PGPASSWORD"] = null, ["PGPASSFILE"] = null, ["HOME"] = _dir.Path });
        Assert.Equal(1, code);
        Assert.Contains("asks mlops_test for a password and none was given", error);
        Assert.Contains("PGPASSWORD", error);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain(_server.Password, output + error);
    }

    [Fact]
    public void The_password_comes_from_PGPASSWORD_or_a_pgpass_file_when_the_uri_has_none()
    {
        var database = _server.CreateDatabase(fromTemplate: true);
        var uri = _server.Uri(database);
        using (var client = new TrackingClient(Open(uri, artifactUri: _dir.File("artifacts")), ArtifactStores.Open(_dir.File("artifacts"))))
        {
            var run = client.CreateRun("pgpass", "first");
            client.SetTerminated(run.RunId);
        }
        var bare = _server.Uri(database, withPassword: false);

        var (code, output, error) = Mlops(["runs", "list", "-e", "pgpass", "--tracking-uri", bare],
            new() { ["PGPASSWORD"] = _server.Password, ["PGPASSFILE"] = null, ["HOME"] = _dir.Path });
        Assert.True(code == 0, error);
        Assert.Contains("first", output);

        var pgpass = _dir.File("pgpass");
        File.WriteAllText(pgpass, $"127.0.0.1:{_server.Port}:{database}:{PostgresServer.User}:{_server.Password}\n");
        File.SetUnixFileMode(pgpass, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (code, output, error) = Mlops(["runs", "list", "-e", "pgpass"],
            new() { ["MLOPS_TRACKING_URI"] = bare, ["PGPASSWORD"] = null, ["PGPASSFILE"] = pgpass, ["HOME"] = _dir.Path });
        Assert.True(code == 0, error);
        Assert.Contains("first", output);
        Assert.DoesNotContain(_server.Password, output + error);
    }

    private (int Code, string Output, string Error) Mlops(string[] args, Dictionary<string, string?> environment) =>
        Programs.Run(Programs.Mlops, args, _dir.Path, environment);

    [Fact]
    public void A_database_with_other_tables_is_refused_untouched()
    {
        var database = _server.CreateDatabase(fromTemplate: false);
        _server.Admin($"CREATE TABLE invoices (id INT); GRANT ALL ON SCHEMA public TO {PostgresServer.User}", database);
        var error = Refused<TrackingStoreException>(() => Open(_server.Uri(database)), _server.Password);
        Assert.Contains("is not an MlopsNotebooks tracking store: the database has other tables (invoices)", error.Message);
        Assert.Equal(["invoices"], _server.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", database));
    }

    [Fact]
    public void Opening_an_empty_database_to_read_creates_nothing()
    {
        var database = _server.CreateDatabase(fromTemplate: false);
        var error = Refused<TrackingStoreException>(() => Open(_server.Uri(database), readOnly: true), _server.Password);
        Assert.Contains("There is no tracking store at", error.Message);
        Assert.Empty(_server.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", database));
    }

    [Fact]
    public void Several_processes_opening_a_fresh_database_at_once_migrate_it_once()
    {
        var uri = _server.Uri(_server.CreateDatabase(fromTemplate: false));
        using var start = new Barrier(6);
        var opened = Enumerable.Range(0, 6).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            using var db = new PostgresDatabase(uri);
            return db.Location;
        })).ToArray();
        Task.WaitAll(opened);
        using var store = Open(uri);
        Assert.Equal(["Default"], store.ListExperiments(ViewType.ActiveOnly).Select(e => e.Name));
    }

    [Fact]
    public void Writers_racing_for_experiment_ids_and_names_each_get_an_id_or_ExperimentExistsException()
    {
        var uri = _server.NewDatabase();
        var stores = Enumerable.Range(0, 8).Select(_ => Open(uri)).ToList();
        try
        {
            using var start = new Barrier(stores.Count);
            var results = stores.Select((store, i) => Task.Run(() =>
            {
                start.SignalAndWait();
                var own = store.CreateExperiment($"own-{i}", T0).ExperimentId;
                try
                {
                    store.CreateExperiment("shared", T0);
                    return (own, won: true);
                }
                catch (ExperimentExistsException)
                {
                    return (own, won: false);
                }
            })).ToList().Select(t => t.Result).ToList();
            Assert.Single(results, r => r.won);
            // Default, one of each writer's own, and the one shared: ids 0 to 9, none taken twice.
            Assert.Equal(Enumerable.Range(0, stores.Count + 2).Select(i => (long)i),
                stores[0].ListExperiments(ViewType.ActiveOnly).Select(e => long.Parse(e.ExperimentId, CultureInfo.InvariantCulture)).Order());
        }
        finally
        {
            stores.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void Writers_racing_to_register_versions_of_one_model_get_distinct_numbers()
    {
        var uri = _server.NewDatabase();
        var address = new StoreAddress(uri, _dir.Path, ReadOnly: false);
        using var tracking = Open(uri);
        var runId = Guid.NewGuid().ToString("N");
        tracking.CreateRun(new NewRun(runId, "0", "trainer", null, T0, []));
        var registries = Enumerable.Range(0, 8).Select(_ => ModelRegistryStores.Open(address)).ToList();
        try
        {
            using var start = new Barrier(registries.Count);
            var numbers = registries.Select(registry => Task.Run(() =>
            {
                start.SignalAndWait();
                return registry.CreateModelVersion(new NewModelVersion("churn", runId, "sha256:" + new string('a', 64),
                    "sha256:" + new string('b', 64), "sha256:" + new string('c', 64), T0)).Version;
            })).ToList().Select(t => t.Result).Order().ToList();
            Assert.Equal(Enumerable.Range(1, registries.Count), numbers);
        }
        finally
        {
            registries.ForEach(r => r.Dispose());
        }
    }
}
