using MlopsNotebooks.Notebooks;

namespace MlopsNotebooks.Runner.Interactive;

/// <summary>
/// Where a cell's outputs go as they happen in a live session (a Jupyter client), rather than into a notebook file once
/// the cell is done. Called from the cell's own threads: implementations are thread-safe.
/// </summary>
public interface ILiveOutputs
{
    /// <summary>
    /// An output as it happens: a stream's text write by write (clients merge them), a display (with
    /// <see cref="CellOutput.DisplayId"/> when it can be updated later), the cell's value, its error.
    /// </summary>
    void Add(CellOutput output);

    /// <summary>A display shown earlier replaced in place (Jupyter's update_display_data); <see cref="CellOutput.DisplayId"/> names it.</summary>
    void Update(CellOutput display);

    /// <summary>
    /// A line the user types (Console.ReadLine in a cell: Jupyter's input_request), or null when the client takes no input
    /// (then the cell reads the end of input).
    /// </summary>
    string? Input(string prompt, bool password);
}
