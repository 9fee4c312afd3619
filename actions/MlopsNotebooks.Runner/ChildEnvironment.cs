namespace MlopsNotebooks.Runner;

/// <summary>
/// Environment variables the processes a notebook's cells start inherit, set while the cells run and put back as they
/// were after, so the next notebook run in the same process hands down its own.
/// </summary>
internal sealed class ChildEnvironment : IDisposable
{
    private readonly Dictionary<string, string?> _previous;

    private ChildEnvironment(Dictionary<string, string?> previous) => _previous = previous;

    public static ChildEnvironment Set(IReadOnlyDictionary<string, string?> variables)
    {
        var previous = variables.Keys.ToDictionary(name => name, Environment.GetEnvironmentVariable);
        foreach (var (name, value) in variables)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
        return new ChildEnvironment(previous);
    }

    public void Dispose()
    {
        foreach (var (name, value) in _previous)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}
