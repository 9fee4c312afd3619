using MlopsNotebooks.Notebooks;

namespace MlopsNotebooks.Runner;

/// <summary>
/// What notebook code sees as globals, as in the .NET Interactive kernel: <c>display(value)</c> shows a value (and
/// returns a handle whose <c>Update</c> replaces it).
/// </summary>
public class NotebookGlobals
{
    internal List<CellOutput>? Outputs { get; set; }

    public DisplayedValue display(object? value, string? mimeType = null)
    {
        var outputs = Outputs ?? throw new InvalidOperationException("display() was called outside a cell.");
        lock (outputs)
        {
            outputs.Add(ValueFormatter.Display(value, mimeType));
            return new DisplayedValue(outputs, outputs.Count - 1);
        }
    }
}

/// <summary>A displayed value; <see cref="Update"/> replaces what it shows.</summary>
public sealed class DisplayedValue
{
    private readonly List<CellOutput> _outputs;
    private readonly int _index;

    internal DisplayedValue(List<CellOutput> outputs, int index) => (_outputs, _index) = (outputs, index);

    public void Update(object? value)
    {
        lock (_outputs)
        {
            _outputs[_index] = ValueFormatter.Display(value, null);
        }
    }
}
