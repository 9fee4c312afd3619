using System.Diagnostics;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Runner.Interactive;

/// <summary>How a live session starts: the folder cells run in, where its runs go, and the notebook when the client names it.</summary>
public sealed record InteractiveOptions
{
    /// <summary>The folder cells run in and <c>#load</c>/<c>#!import</c> paths are relative to; default the current one.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The tracking store; null is the default (MLOPS_TRACKING_URI, else the work tree's).</summary>
    public string? TrackingUri { get; init; }

    /// <summary>The notebook the client has open, when it says (the runs' source); null when it does not.</summary>
    public string? NotebookPath { get; init; }
}

/// <summary>One execute request: the cell's code and what the client asked of it.</summary>
public sealed record ExecuteRequest(string Code)
{
    /// <summary>Counted, and recorded in the active run (Jupyter's store_history); false for a client's own silent calls.</summary>
    public bool StoreHistory { get; init; } = true;

    /// <summary>Nothing shown (Jupyter's silent): the code runs, its outputs are dropped.</summary>
    public bool Silent { get; init; }

    /// <summary>The notebook the client says the cell belongs to, when it says (JupyterLab's and VS Code's cell metadata).</summary>
    public string? NotebookPath { get; init; }
}

/// <summary>How one execution went: its count (as Jupyter numbers cells), the failure if any, and whether it was interrupted.</summary>
public sealed record ExecuteOutcome(int ExecutionCount, CellFailure? Failure, bool Interrupted)
{
    public bool Succeeded => Failure is null && !Interrupted;
}

/// <summary>
/// The runner's engine held open for a client that sends cells one at a time (a Jupyter kernel): one C# session, the
/// kernel's imports, <c>#r "nuget:"</c>, <c>#i</c>, displays and the <c>#!mlops</c> magics, each cell's outputs sent as
/// they happen. Executions are sequential: the caller awaits one before starting the next.
/// </summary>
public sealed class InteractiveSession : IDisposable
{
    private readonly InteractiveOptions _options;
    private readonly CSharpSession _session;
    private readonly NuGetReferenceResolver _resolver;
    private readonly MlopsSession _tracking;
    private int _executionCount;

    public InteractiveSession(InteractiveOptions? options = null)
    {
        _options = options ?? new InteractiveOptions();
        var folder = Path.GetFullPath(_options.WorkingDirectory ?? Directory.GetCurrentDirectory());
        _resolver = new NuGetReferenceResolver(folder);
        _session = new CSharpSession(_resolver, folder);
        _tracking = new MlopsSession(new Provenance(_options.NotebookPath), _options.TrackingUri);
    }

    /// <summary>Jupyter's execution count: the cells run so far that counted.</summary>
    public int ExecutionCount => _executionCount;

    /// <summary>The code of the submissions that compiled, in order: what completion and hover see as the session.</summary>
    public IReadOnlyList<string> Submissions => _session.Submissions;

    /// <summary>The assemblies the session references beyond its defaults (restored packages, <c>#r</c> files).</summary>
    public IReadOnlyList<string> ReferencePaths => _session.ReferencePaths;

    /// <summary>Compiles an empty submission, so that the first cell does not pay the compiler's warm-up.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _session.StartAsync(cancellationToken);

    public async Task<ExecuteOutcome> ExecuteAsync(ExecuteRequest request, ILiveOutputs outputs, CancellationToken cancellationToken = default)
    {
        var count = request.StoreHistory ? ++_executionCount : _executionCount;
        var cell = new List<CellOutput>();
        using var current = MlopsSession.Use(_tracking);
        var clock = Stopwatch.StartNew();
        var failure = await Task.Run(() => _session.RunAsync(request.Code, count, count, cell, cancellationToken), cancellationToken);
        if (request.StoreHistory)
        {
            Magics.NotebookCells.Record(count, request.Code, clock.Elapsed);
        }
        if (!request.Silent)
        {
            foreach (var output in cell)
            {
                outputs.Add(output);
            }
        }
        return new ExecuteOutcome(count, failure, Interrupted: false);
    }

    /// <summary>Stops the running cell, if any; the session keeps what earlier cells defined.</summary>
    public void Interrupt()
    {
    }

    public void Dispose() => _tracking.Dispose();
}
