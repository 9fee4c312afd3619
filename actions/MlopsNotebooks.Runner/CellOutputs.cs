using System.Text;
using Microsoft.DotNet.Interactive.Formatting;
using MlopsNotebooks.Notebooks;

namespace MlopsNotebooks.Runner;

/// <summary>
/// A cell's outputs in the order they happen, as the kernel sends them to Jupyter: console writes, displays, console
/// writes again. Consecutive writes to one stream are one stream output, as Jupyter merges them. Once the cell is
/// closed (abandoned after a timeout) what it still writes is dropped, so that the notebook can be written while its
/// code runs on.
/// </summary>
internal sealed class CellOutputs(List<CellOutput> outputs)
{
    private bool _closed;

    // The stream output being written grows here and reaches the list when something else is added or the cell ends:
    // a cell that prints many lines costs time in proportion to them, not to their square.
    private StringBuilder? _open;
    private string? _openStream;

    // Once the cell's code has returned, what threads it started still write goes to the list at once.
    private bool _settled;

    public void Write(string stream, string text)
    {
        if (text.Length == 0)
        {
            return;
        }
        lock (outputs)
        {
            if (_closed)
            {
                return;
            }
            if (_open is null || _openStream != stream)
            {
                FlushLocked();
                _open = new StringBuilder();
                _openStream = stream;
                // Jupyter merges consecutive writes to one stream into one output, also across a flush.
                if (outputs.Count > 0 && outputs[^1] is { Kind: OutputKind.Stream } last && last.StreamName == stream)
                {
                    _open.Append(last.Text);
                    outputs.RemoveAt(outputs.Count - 1);
                }
            }
            _open.Append(text);
            if (_settled)
            {
                FlushLocked();
            }
        }
    }

    public void Add(CellOutput output)
    {
        lock (outputs)
        {
            if (!_closed)
            {
                FlushLocked();
                outputs.Add(output);
            }
        }
    }

    /// <summary>The cell's code has returned: what it wrote is in the list, and later writes go there at once.</summary>
    public void Settle()
    {
        lock (outputs)
        {
            FlushLocked();
            _settled = true;
        }
    }

    public void Close()
    {
        lock (outputs)
        {
            FlushLocked();
            _closed = true;
        }
    }

    private void FlushLocked()
    {
        if (_open is not null)
        {
            outputs.Add(CellOutput.Stream(_openStream!, _open.ToString()));
            (_open, _openStream) = (null, null);
        }
    }

    /// <summary>The cell whose code runs on this flow of execution (and the tasks and threads it starts).</summary>
    private static readonly AsyncLocal<CellOutputs?> CurrentCell = new();

    private static int _subscribed;

    /// <summary>
    /// Makes <paramref name="cell"/> the one that <c>Display()</c>, <c>DisplayAs</c>, <c>DisplayTable</c> and
    /// <c>display()</c> write to while the calling flow runs: they raise the formatting library's displayed-value
    /// events, which the kernel turns into display_data and the runner does here.
    /// </summary>
    public static void Capture(CellOutputs cell)
    {
        if (Interlocked.Exchange(ref _subscribed, 1) == 0)
        {
            Formatter.SubscribeToDisplayedValues(OnDisplayed);
        }
        CurrentCell.Value = cell;
    }

    private static void OnDisplayed(DisplayedValue value)
    {
        // An update is not written, as the kernel's is lost in a notebook file: Display() raises its event with one
        // DisplayedValue and returns another, so an update carries an id no output has (Jupyter drops it).
        if (value.IsUpdated)
        {
            return;
        }
        if (CurrentCell.Value is { } cell)
        {
            cell.Add(ValueFormatter.Display(value.FormattedValues));
        }
        else
        {
            Formatter.WriteToConsole(value); // what the library does when no host listens
        }
    }

    /// <summary>Console.Out or Console.Error while a cell runs: each write goes to the cell's outputs as it happens.</summary>
    public TextWriter Writer(string stream) => new StreamWriter(this, stream);

    private sealed class StreamWriter(CellOutputs cell, string stream) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => cell.Write(stream, value.ToString());

        public override void Write(char[] buffer, int index, int count) => cell.Write(stream, new string(buffer, index, count));

        public override void Write(string? value) => cell.Write(stream, value ?? "");
    }
}
