namespace MlopsNotebooks;

/// <summary>
/// A failure the user can cause and fix. The message says what was wrong; <see cref="Hint"/> says what to do.
/// Hosts (CLI, notebook runner, kernel) show these as a message and a non-zero exit code or a failed cell, never a
/// stack trace.
/// </summary>
public class MlopsException : Exception
{
    public MlopsException(string message, string? hint = null, Exception? inner = null)
        : base(message, inner) => Hint = hint;

    /// <summary>What the user can do about it, or null when the message says it all.</summary>
    public string? Hint { get; }

    /// <summary>The message and the hint, as a host prints them.</summary>
    public string Describe() => Hint is null ? Message : $"{Message}\n{Hint}";
}

/// <summary>A key, name or value that breaks the naming rules.</summary>
public sealed class InvalidNameException(string message, string? hint = null) : MlopsException(message, hint);

/// <summary>A parameter logged again with another value; parameters are immutable once logged.</summary>
public sealed class ParamConflictException(string runId, string key, string oldValue, string newValue)
    : MlopsException(
        $"Parameter '{key}' of run {runId} is already '{oldValue}'; it cannot be changed to '{newValue}'.",
        "Parameters are immutable once logged: start a new run for the new value, or log it as a tag or metric.")
{
    public string Key { get; } = key;
}

/// <summary>A run that does not exist, or a prefix that matches no run or several.</summary>
public sealed class RunNotFoundException(string message, string? hint = null) : MlopsException(message, hint);

/// <summary>An experiment that does not exist.</summary>
public sealed class ExperimentNotFoundException(string name)
    : MlopsException($"No experiment named '{name}'.", "List the experiments with `mlops experiments list`.");

/// <summary>Logging to a run that has ended (or was deleted).</summary>
public sealed class RunNotActiveException(string runId, string state)
    : MlopsException($"Run {runId} is {state}; nothing more can be logged to it.",
        "Start a new run to log more (Mlops.StartRun, or the run magic in a notebook).");

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
    : MlopsException($"An experiment named '{name}' already exists.", "Use it, or pick another name.");

/// <summary>
/// A failure of the machine rather than of the input or of the kit: a full disk, a read-only file system, missing
/// permission, a file that is not a database. The message names the file; fixing that and running again works.
/// </summary>
public sealed class EnvironmentException(string message, string? hint = null, Exception? inner = null)
    : MlopsException(message, hint, inner)
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
