namespace MlopsNotebooks;

/// <summary>
/// What kind of failure an <see cref="MlopsException"/> is. Hosts map the kind, never the message, to what they show:
/// <see cref="ErrorKinds"/> is that one mapping (exit code for the CLI and actions, HTTP status for a server; a notebook
/// cell fails with the message either way).
/// </summary>
public enum ErrorKind
{
    /// <summary>The input is wrong: a bad name, path, filter, file or option. Fix the input.</summary>
    Invalid,

    /// <summary>Something named does not exist: a run, experiment, model version, data object.</summary>
    NotFound,

    /// <summary>The request clashes with the state: a name taken, a param logged with another value, a run ended.</summary>
    Conflict,

    /// <summary>The machine or a service failed: a full or read-only disk, a lock held, a remote that cannot be reached.</summary>
    Unavailable,
}

/// <summary>The one mapping from an error's kind to what a host shows.</summary>
public static class ErrorKinds
{
    /// <summary>The exit code of the CLI and the actions: 1 for every failure the user can fix (2 is the parser's, for usage).</summary>
    public static int ExitCode(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid or ErrorKind.NotFound or ErrorKind.Conflict or ErrorKind.Unavailable => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The HTTP status a server answers with.</summary>
    public static int HttpStatus(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid => 400,
        ErrorKind.NotFound => 404,
        ErrorKind.Conflict => 409,
        ErrorKind.Unavailable => 503,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}

/// <summary>
/// A failure the user can cause and fix. The message says what was wrong; <see cref="Hint"/> says what to do;
/// <see cref="Kind"/> says which sort of failure it is. Hosts (CLI, notebook runner, kernel, server) show these as a
/// message and an exit code, a failed cell or an HTTP status (<see cref="ErrorKinds"/>), never a stack trace.
/// A bare MlopsException is <see cref="ErrorKind.Invalid"/>; the other kinds have a class each.
/// </summary>
public class MlopsException : Exception
{
    public MlopsException(string message, string? hint = null, Exception? inner = null)
        : this(ErrorKind.Invalid, message, hint, inner)
    {
    }

    protected MlopsException(ErrorKind kind, string message, string? hint, Exception? inner)
        : base(message, inner)
    {
        Kind = kind;
        Hint = hint;
    }

    /// <summary>Which sort of failure this is.</summary>
    public ErrorKind Kind { get; }

    /// <summary>What the user can do about it, or null when the message says it all.</summary>
    public string? Hint { get; }

    /// <summary>The message and the hint, as a host prints them.</summary>
    public string Describe() => Hint is null ? Message : $"{Message}\n{Hint}";
}

/// <summary>Something named that does not exist.</summary>
public class NotFoundException(string message, string? hint = null, Exception? inner = null)
    : MlopsException(ErrorKind.NotFound, message, hint, inner);

/// <summary>A request that clashes with what is there.</summary>
public class ConflictException(string message, string? hint = null, Exception? inner = null)
    : MlopsException(ErrorKind.Conflict, message, hint, inner);

/// <summary>A failure of the machine or of a service, not of the input.</summary>
public class UnavailableException(string message, string? hint = null, Exception? inner = null)
    : MlopsException(ErrorKind.Unavailable, message, hint, inner);

/// <summary>A key, name or value that breaks the naming rules.</summary>
public sealed class InvalidNameException(string message, string? hint = null) : MlopsException(message, hint);

/// <summary>A parameter logged again with another value; parameters are immutable once logged.</summary>
public sealed class ParamConflictException(string runId, string key, string oldValue, string newValue)
    : ConflictException(
        $"Parameter '{key}' of run {runId} is already '{oldValue}'; it cannot be changed to '{newValue}'.",
        "Parameters are immutable once logged: start a new run for the new value, or log it as a tag or metric.")
{
    public string Key { get; } = key;
}

/// <summary>A run that does not exist, or a prefix that matches no run or several.</summary>
public sealed class RunNotFoundException(string message, string? hint = null) : NotFoundException(message, hint);

/// <summary>An experiment that does not exist.</summary>
public sealed class ExperimentNotFoundException(string name)
    : NotFoundException($"No experiment named '{name}'.", "List the experiments with `mlops experiments list`.");

/// <summary>Logging to a run that has ended (or was deleted).</summary>
public sealed class RunNotActiveException(string runId, string state)
    : ConflictException($"Run {runId} is {state}; nothing more can be logged to it.",
        "Start a new run to log more (Mlops.StartRun, or #!mlops start-run in a notebook).");

/// <summary>A search filter or order-by clause that does not parse.</summary>
public sealed class FilterSyntaxException : MlopsException
{
    public FilterSyntaxException(string what, string text, int position, string problem)
        : base($"{what} syntax error at position {position + 1}: {problem}\n  {text}\n  {new string(' ', position)}^",
            "Filters look like: metrics.auc > 0.8 and params.trainer = 'FastTree' and tags.team != 'x'")
    {
        Text = text;
        Position = position;
    }

    public string Text { get; }

    /// <summary>Zero-based character offset of the problem.</summary>
    public int Position { get; }
}

/// <summary>A file or database that is not an MlopsNotebooks tracking store, or one from a newer version.</summary>
public sealed class TrackingStoreException(string message, string? hint = null, Exception? inner = null)
    : MlopsException(message, hint, inner);

/// <summary>An experiment name that is taken.</summary>
public sealed class ExperimentExistsException(string name)
    : ConflictException($"An experiment named '{name}' already exists.", "Use it, or pick another name.");

/// <summary>
/// A failure of the machine rather than of the input or of the kit: a full disk, a read-only file system, missing
/// permission, a file that is not a database. The message names the file; fixing that and running again works.
/// </summary>
public sealed class EnvironmentException(string message, string? hint = null, Exception? inner = null)
    : UnavailableException(message, hint, inner)
{
    /// <summary>
    /// The one map from what the runtime and SQLite throw about the machine to a message and hint: <paramref name="e"/>
    /// as an environment failure concerning <paramref name="path"/> (when known), or null when it is something else.
    /// </summary>
    public static EnvironmentException? From(Exception e, string? path = null)
    {
        var file = path ?? "a file";
        return e switch
        {
            EnvironmentException known => known,
            // Primary result codes (https://sqlite.org/rescode.html); the extended ones carry them in the low byte.
            Microsoft.Data.Sqlite.SqliteException s => (s.SqliteErrorCode & 0xFF) switch
            {
                8 => new($"{file} is read-only, so the tracking store cannot be written.",
                    "Commands that only read (runs list, show, search) work on it; to record, point --tracking-uri or MLOPS_TRACKING_URI at a writable place.", e),
                13 => new($"The disk holding {file} is full.", "Free some space and run the command again.", e),
                14 => new($"SQLite cannot open {file}: {s.Message}",
                    "Check that the file and its folder exist, are readable, and that the folder is writable.", e),
                11 or 26 => new($"{file} is not a tracking store: SQLite says it is not a database or is corrupt. It was left as it is.",
                    "Point MLOPS_TRACKING_URI (or --tracking-uri) at another file, or move this one away.", e),
                10 => new($"Reading or writing {file} failed: {s.Message}", "Check the disk: free space, errors, and that it is writable.", e),
                3 or 23 => new($"Access to {file} was denied: {s.Message}", "Check the permissions of the file and its folder.", e),
                5 or 6 => new($"{file} stayed locked by another process: {s.Message}", "Wait for the other process, then run the command again.", e),
                _ => null,
            },
            UnauthorizedAccessException => new(WithPath(e.Message, path), "Check the permissions of the file and its folder.", e),
            IOException => new(WithPath(e.Message, path), e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase)
                ? "The disk is full: free some space and run the command again."
                : e.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase)
                    ? "The file system is mounted read-only: write somewhere else."
                    : "Check the path, the disk's free space and that the file system is writable.", e),
            _ => null,
        };
    }

    private static string WithPath(string message, string? path) =>
        path is null || message.Contains(path, StringComparison.Ordinal) ? message : $"{path}: {message}";
}
