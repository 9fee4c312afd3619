using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Runner.Interactive;

namespace MlopsNotebooks.Kernel.Jupyter;

/// <summary>
/// A cell's outputs published on IOPub as they happen, with its execute request as parent; stdin read through the
/// client that sent the request. A silent request publishes nothing; a client that allows no stdin is never asked.
/// </summary>
internal sealed class PublishedOutputs(JupyterKernel kernel, JupyterMessage request, bool silent, bool allowStdin) : ILiveOutputs
{
    private CellOutput? _lastError;

    /// <summary>The cell's error output, which the execute reply repeats (ename, evalue, traceback).</summary>
    public CellOutput? LastError => Volatile.Read(ref _lastError);

    public void Add(CellOutput output)
    {
        if (output.Kind == OutputKind.Error)
        {
            Volatile.Write(ref _lastError, output);
        }
        if (!silent)
        {
            var (type, content) = OutputMessages.Of(output);
            kernel.Publish(type, content, request);
        }
    }

    public void Update(CellOutput display)
    {
        if (!silent && display.DisplayId is not null)
        {
            kernel.Publish("update_display_data", OutputMessages.Update(display), request);
        }
    }

    public string? Input(string prompt, bool password) => allowStdin ? kernel.Input(request, prompt, password) : null;
}
