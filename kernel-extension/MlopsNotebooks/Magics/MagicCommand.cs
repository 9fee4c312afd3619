using System.Text;

namespace MlopsNotebooks.Magics;

/// <summary>A parameter of a magic subcommand: positional (in order) or an option (<c>--name value</c>, or a flag).</summary>
public sealed record MagicParameter(string Name, string Description, bool Required = false, bool Positional = false, bool Flag = false);

/// <summary>
/// One <c>#!mlops</c> subcommand, defined once for both hosts: the headless runner dispatches it, and the kernel
/// extension registers it with the kernel's directive API. The handler calls one core service and returns what to show.
/// </summary>
public sealed record MagicCommand(string Name, string Description, IReadOnlyList<MagicParameter> Parameters, Func<MagicInvocation, object?> Handler)
{
    public string Usage()
    {
        var text = new StringBuilder($"#!mlops {Name}");
        foreach (var p in Parameters)
        {
            var shape = p.Positional ? $"<{p.Name}>" : p.Flag ? $"--{p.Name}" : $"--{p.Name} <value>";
            text.Append(' ').Append(p.Required ? shape : $"[{shape}]");
        }
        return text.ToString();
    }
}

/// <summary>What the notebook host gives a magic command: its variables and where it is.</summary>
public interface IMagicHost
{
    /// <summary>The value of a notebook variable, or throws <see cref="MlopsException"/> naming the variables there are.</summary>
    object? GetVariable(string name);

    /// <summary>The notebook's variables, newest first.</summary>
    IReadOnlyList<(string Name, object? Value)> Variables();

    /// <summary>Runs after the cell's code (for <c>#!mlops track</c>): true when the cell succeeded.</summary>
    void AfterCell(Action<bool> action);
}

/// <summary>A parsed magic line: the command and its bound values.</summary>
public sealed class MagicInvocation(MagicCommand command, IReadOnlyDictionary<string, string> values, IMagicHost host)
{
    public MagicCommand Command { get; } = command;

    public IMagicHost Host { get; } = host;

    public string? Get(string name) => values.GetValueOrDefault(name);

    public bool Has(string name) => values.ContainsKey(name);

    public string Required(string name) => Get(name) ?? throw new MlopsException($"#!mlops {Command.Name} needs {name}.", $"Usage: {Command.Usage()}");
}
