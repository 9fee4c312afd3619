using System.Globalization;
using Npgsql;

namespace MlopsNotebooks.TeamStores.PostgreSql;

/// <summary>
/// A PostgreSQL tracking URI in libpq's form, <c>postgresql://user[:password]@host[:port]/database[?sslmode=...]</c>
/// (percent-encoded parts decoded). Without a password in the URI, Npgsql looks in PGPASSWORD and then the pgpass file
/// (PGPASSFILE or ~/.pgpass), as libpq does. <see cref="Location"/> never holds the password.
/// </summary>
internal sealed record PostgresAddress(string? User, string? Password, string Host, int Port, string Database, SslMode? SslMode, int? ConnectTimeout)
{
    private const string Form = "postgresql://user[:password]@host[:port]/database[?sslmode=require]";

    /// <summary>The query parameters taken, with libpq's names.</summary>
    private static readonly string[] Supported = ["sslmode", "connect_timeout"];

    /// <summary>Where the database is, for messages and for opening it again (with the password from elsewhere).</summary>
    public string Location =>
        $"postgresql://{(User is null ? "" : Uri.EscapeDataString(User) + "@")}{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port.ToString(CultureInfo.InvariantCulture)}/{Uri.EscapeDataString(Database)}";

    public static PostgresAddress Parse(string uri)
    {
        var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd < 0 ? "" : uri[..schemeEnd];
        if (!scheme.Equals("postgresql", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("postgres", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid(uri, "it does not start with postgresql://");
        }
        var rest = uri[(schemeEnd + 3)..];
        var query = "";
        if (rest.IndexOf('?') is var q and >= 0)
        {
            (rest, query) = (rest[..q], rest[(q + 1)..]);
        }
        var slash = rest.IndexOf('/');
        if (slash < 0 || slash == rest.Length - 1)
        {
            throw Invalid(uri, "it names no database", "Add the database after the host, e.g. postgresql://mlops@db.example.com/mlops.");
        }
        var database = Decode(uri, rest[(slash + 1)..]);
        var authority = rest[..slash];
        string? user = null, password = null;
        if (authority.LastIndexOf('@') is var at and >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            user = Decode(uri, colon < 0 ? userInfo : userInfo[..colon]);
            password = colon < 0 ? null : Decode(uri, userInfo[(colon + 1)..]);
            user = user.Length == 0 ? null : user;
        }
        var (host, port) = HostAndPort(uri, authority);
        var address = new PostgresAddress(user, password, host, port, database, null, null);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var name = Decode(uri, eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Decode(uri, pair[(eq + 1)..]);
            address = name switch
            {
                "sslmode" => address with { SslMode = ParseSslMode(uri, value) },
                "connect_timeout" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 =>
                    address with { ConnectTimeout = seconds },
                "connect_timeout" => throw Invalid(uri, $"connect_timeout '{value}' is not a whole number of seconds"),
                _ => throw Invalid(uri, $"the parameter '{name}' is not supported",
                    $"Supported parameters: {string.Join(", ", Supported)}. Write the URI as {Form}."),
            };
        }
        return address;
    }

    private static (string Host, int Port) HostAndPort(string uri, string authority)
    {
        string host, port = "";
        if (authority.StartsWith('['))
        {
            // An IPv6 address: [::1]:5432
            var close = authority.IndexOf(']');
            if (close < 0)
            {
                throw Invalid(uri, "an IPv6 host is missing its ']'");
            }
            host = authority[1..close];
            var after = authority[(close + 1)..];
            port = after.StartsWith(':') ? after[1..] : after.Length == 0 ? "" : throw Invalid(uri, $"'{after}' after the host is not a port");
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            (host, port) = colon < 0 ? (authority, "") : (authority[..colon], authority[(colon + 1)..]);
        }
        host = Decode(uri, host);
        if (host.Length == 0)
        {
            throw Invalid(uri, "it names no host", "Name the server, e.g. postgresql://mlops@127.0.0.1:5432/mlops.");
        }
        if (port.Length == 0)
        {
            return (host, 5432);
        }
        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is > 0 and < 65536
            ? (host, number)
            : throw Invalid(uri, $"the port '{port}' is not a number from 1 to 65535");
    }

    private static SslMode ParseSslMode(string uri, string value) => value switch
    {
        "disable" => Npgsql.SslMode.Disable,
        "allow" => Npgsql.SslMode.Allow,
        "prefer" => Npgsql.SslMode.Prefer,
        "require" => Npgsql.SslMode.Require,
        "verify-ca" => Npgsql.SslMode.VerifyCA,
        "verify-full" => Npgsql.SslMode.VerifyFull,
        _ => throw Invalid(uri, $"sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full"),
    };

    // Uri.UnescapeDataString keeps a malformed escape as it is; libpq refuses it, and so does this.
    private static string Decode(string uri, string part) =>
        System.Text.RegularExpressions.Regex.IsMatch(part, "%(?![0-9A-Fa-f]{2})")
            ? throw Invalid(uri, "it has a malformed %-escape")
            : Uri.UnescapeDataString(part);

    // The message never repeats the URI: it may hold a password.
    private static MlopsException Invalid(string uri, string why, string? hint = null) =>
        new($"The PostgreSQL tracking URI is not valid: {why}.", hint ?? $"Write it as {Form}; percent-encode special characters in the user, password and database.");

    /// <summary>The Npgsql connection string; a reader's sessions are read-only on the server as well.</summary>
    public string ConnectionString(bool readOnly, string applicationName)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = Database,
            ApplicationName = applicationName,
            // Statements the stores run again and again are prepared once per connection (and again after a reconnect).
            MaxAutoPrepare = 64,
            AutoPrepareMinUsages = 2,
            // No pool: a store holds one connection for its life, and a reconnect after a server restart must open a new
            // one, not take back a pooled connection the restart broke.
            Pooling = false,
            Timeout = ConnectTimeout ?? 15,
        };
        if (User is not null)
        {
            builder.Username = User;
        }
        if (Password is not null)
        {
            builder.Password = Password;
        }
        if (SslMode is { } ssl)
        {
            builder.SslMode = ssl;
        }
        if (readOnly)
        {
            builder.Options = "-c default_transaction_read_only=on";
        }
        return builder.ConnectionString;
    }
}
