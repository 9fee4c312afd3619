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
