namespace MlopsNotebooks.Tracking;

/// <summary>Where a run is in its life. A run that ends normally is Finished; an exception makes it Failed; a signal
/// or an explicit kill makes it Killed.</summary>
public enum RunStatus
{
    Running,
    Scheduled,
    Finished,
    Failed,
    Killed,
}

public static class RunStatusNames
{
    /// <summary>The stored and displayed name, as MLflow spells it (RUNNING, FINISHED, ...).</summary>
    public static string ToName(this RunStatus status) => status switch
    {
        RunStatus.Running => "RUNNING",
        RunStatus.Scheduled => "SCHEDULED",
        RunStatus.Finished => "FINISHED",
        RunStatus.Failed => "FAILED",
        RunStatus.Killed => "KILLED",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static bool TryParse(string name, out RunStatus status)
    {
        foreach (var candidate in Enum.GetValues<RunStatus>())
        {
            if (string.Equals(candidate.ToName(), name, StringComparison.OrdinalIgnoreCase))
            {
                status = candidate;
                return true;
            }
        }
        status = default;
        return false;
    }

    public static bool IsTerminal(this RunStatus status) =>
        status is RunStatus.Finished or RunStatus.Failed or RunStatus.Killed;
}
