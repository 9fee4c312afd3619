using System.Text;
using Microsoft.DotNet.Interactive.Formatting;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Runner.Interactive;

namespace MlopsNotebooks.Runner;

/// <summary>
/// A cell's outputs in the order they happen, as the kernel sends them to Jupyter: console writes, displays, console
/// writes again. Consecutive writes to one stream are one stream output, as Jupyter merges them. Once the cell is
/// closed (abandoned after a timeout) what it still writes is dropped, so that the notebook can be written while its
/// code runs on. In a live session each output also reaches <c>live</c> as it happens.
/// </summary>
internal sealed class CellOutputs(List<CellOutput> outputs, ILiveOutputs? live = null)
{
    /// <summary>How long text without a line break waits for the rest of its line before it is sent to a live client.</summary>
    private static readonly TimeSpan PartialLine = TimeSpan.FromMilliseconds(50);

    private bool _closed;

    // Stream text not yet sent to the live client: a line is sent once it ends, a partial one after a moment, unless a
    // ReadLine takes it as its prompt first (as Jupyter shows a prompt: beside the input box, not above it).
    private readonly StringBuilder _unsent = new();
    private string? _unsentStream;
    private Timer? _partialLine;

    // Displays shown through the formatting library, for its updates: its Display() raises the event with one
    // DisplayedValue and returns another, so an update's id is not the id of the display it replaces. An update with
    // an id not seen yet replaces the latest display not yet updated (var d = x.Display(); ... d.Update(y)).
    private readonly Dictionary<string, string> _updatedAs = [];
    private readonly List<string> _notUpdated = [];

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
            if (live is not null)
            {
                SendLocked(stream, text);
            }
        }
    }

    private void SendLocked(string stream, string text)
    {
        if (_unsentStream != stream)
        {
            SendUnsentLocked();
            _unsentStream = stream;
        }
        _unsent.Append(text);
        var end = text.LastIndexOf('\n');
        if (end >= 0)
        {
            // Whole lines go now; what follows the last line break waits for the rest of its line.
            var partial = text.Length - end - 1;
            var lines = _unsent.ToString(0, _unsent.Length - partial);
            _unsent.Remove(0, lines.Length);
            live!.Add(CellOutput.Stream(stream, lines));
        }
        if (_unsent.Length > 0)
        {
            _partialLine ??= new Timer(_ => SendUnsent(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _partialLine.Change(PartialLine, Timeout.InfiniteTimeSpan);
        }
    }

    private void SendUnsent()
    {
        lock (outputs)
        {
            if (!_closed)
            {
                SendUnsentLocked();
            }
        }
    }

    private void SendUnsentLocked()
    {
        if (_unsent.Length > 0)
        {
            live!.Add(CellOutput.Stream(_unsentStream!, _unsent.ToString()));
            _unsent.Clear();
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
                if (live is not null)
                {
                    SendUnsentLocked();
                    live.Add(output);
                }
            }
        }
    }

    /// <summary>A display shown earlier replaced in place; only a live client sees it (a notebook file keeps the first).</summary>
    public void Update(CellOutput display)
    {
        lock (outputs)
        {
            if (!_closed && live is not null)
            {
                SendUnsentLocked();
                live.Update(display);
            }
        }
    }

    /// <summary>
    /// A line the user types (Console.ReadLine), asked of the live client with what the cell wrote on the current line
    /// as the prompt; null (the end of input) where there is no client or the cell was abandoned.
    /// </summary>
    public string? ReadLine()
    {
        string prompt;
        lock (outputs)
        {
            if (_closed || live is null)
            {
                return null;
            }
            prompt = _unsentStream == "stdout" ? _unsent.ToString() : "";
            if (prompt.Length > 0)
            {
                _unsent.Clear(); // shown as the prompt
            }
            else
            {
                SendUnsentLocked();
            }
        }
        return live.Input(prompt, password: false);
    }

    /// <summary>The cell's code has returned: what it wrote is in the list, and later writes go there at once.</summary>
    public void Settle()
    {
        lock (outputs)
        {
            FlushLocked();
            if (live is not null)
            {
                SendUnsentLocked();
            }
            _settled = true;
        }
    }

    public void Close()
    {
        lock (outputs)
        {
            FlushLocked();
            if (live is not null)
            {
                SendUnsentLocked();
            }
            _closed = true;
        }
        _partialLine?.Dispose();
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
        if (CurrentCell.Value is { } cell)
        {
            if (value.IsUpdated)
            {
                cell.Updated(value);
            }
            else
            {
                cell.Displayed(value);
            }
        }
        else if (!value.IsUpdated)
        {
            Formatter.WriteToConsole(value); // what the library does when no host listens
        }
    }

    private void Displayed(DisplayedValue value)
    {
        if (live is null)
        {
            Add(ValueFormatter.Display(value.FormattedValues));
            return;
        }
        lock (outputs)
        {
            _notUpdated.Add(value.DisplayId);
        }
        Add(ValueFormatter.Display(value.FormattedValues) with { DisplayId = value.DisplayId });
    }

    // An update is not written into the notebook, as the kernel's is lost in a notebook file; a live client gets it.
    private void Updated(DisplayedValue value)
    {
        if (live is null)
        {
            return;
        }
        string? id;
        lock (outputs)
        {
            if (!_updatedAs.TryGetValue(value.DisplayId, out id) && _notUpdated.Count > 0)
            {
                id = _updatedAs[value.DisplayId] = _notUpdated[^1];
                _notUpdated.RemoveAt(_notUpdated.Count - 1);
            }
        }
        if (id is not null)
        {
            Update(ValueFormatter.Display(value.FormattedValues) with { DisplayId = id });
        }
    }

    /// <summary>Console.Out or Console.Error while a cell runs: each write goes to the cell's outputs as it happens.</summary>
    public TextWriter Writer(string stream) => new StreamWriter(this, stream);

    /// <summary>Console.In while a cell of a live session runs: each line is asked of the client.</summary>
    public TextReader Reader() => new InputReader(this);

    private sealed class InputReader(CellOutputs cell) : TextReader
    {
        // The rest of the line being read character by character, its line break included.
        private string _line = "";
        private int _at;

        public override string? ReadLine()
        {
            if (_at < _line.Length)
            {
                var rest = _line[_at..].TrimEnd('\n');
                _at = _line.Length;
                return rest;
            }
            return cell.ReadLine();
        }

        public override int Peek() => Fill() ? _line[_at] : -1;

        public override int Read() => Fill() ? _line[_at++] : -1;

        private bool Fill()
        {
            if (_at < _line.Length)
            {
                return true;
            }
            if (cell.ReadLine() is not { } line)
            {
                return false;
            }
            (_line, _at) = (line + "\n", 0);
            return true;
        }
    }

    private sealed class StreamWriter(CellOutputs cell, string stream) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => cell.Write(stream, value.ToString());

        public override void Write(char[] buffer, int index, int count) => cell.Write(stream, new string(buffer, index, count));

        public override void Write(string? value) => cell.Write(stream, value ?? "");
    }
}
