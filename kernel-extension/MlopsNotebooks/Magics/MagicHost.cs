namespace MlopsNotebooks.Magics;

/// <summary>
/// The <see cref="IMagicHost"/> of a C# scripting session, shared by the runner and the kernel extension so that a magic
/// finds the same variables in both. Both keep Roslyn's <c>ScriptState.Variables</c>: declaration order, where a name
/// declared again appears again and the newest declaration wins.
/// </summary>
public sealed class MagicHost(Func<IEnumerable<(string Name, object? Value)>> declared) : IMagicHost
{
    private readonly List<Action<bool>> _after = [];

    public object? GetVariable(string name)
    {
        var variables = Variables();
        foreach (var (n, value) in variables)
        {
            if (n == name)
            {
                return value;
            }
        }
        throw new NotFoundException($"There is no variable '{name}' in the notebook.",
            variables.Count == 0 ? "No cell has declared a variable yet." : $"Variables: {string.Join(", ", variables.Select(v => v.Name).Take(20))}.");
    }

    public IReadOnlyList<(string Name, object? Value)> Variables()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return declared().Reverse().Where(v => seen.Add(v.Name)).ToList();
    }

    public void AfterCell(Action<bool> action) => _after.Add(action);

    /// <summary>Whether something waits for the end of the cell (so the host need not watch for it otherwise).</summary>
    public bool WaitsForCell => _after.Count > 0;

    /// <summary>The host calls this when the cell's code has run.</summary>
    public void Finish(bool succeeded)
    {
        foreach (var action in _after)
        {
            action(succeeded);
        }
        _after.Clear();
    }
}
