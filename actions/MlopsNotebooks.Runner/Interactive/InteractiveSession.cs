using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

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
/// kernel's imports, <c>#r "nuget:"</c>, <c>#i</c>, displays and the <c>#!mlops</c> magics, each cell run as the runner
/// runs it (<see cref="CellExecution"/>) and its outputs sent as they happen. Executions are sequential: the caller
/// awaits one before starting the next; <see cref="Interrupt"/> may come from any thread.
/// </summary>
public sealed class InteractiveSession : IDisposable
{
    private readonly InteractiveOptions _options;
    private readonly string _folder;
    private readonly CSharpSession _session;
    private readonly NuGetReferenceResolver _resolver;
    private readonly CellInterrupt _interrupt = new();
    private readonly CellExecution _cells;
    private readonly CellProcesses _processes;
    private MlopsSession _tracking;
    private bool _lastFailed;
    private int _executionCount;

    public InteractiveSession(InteractiveOptions? options = null)
    {
        _options = options ?? new InteractiveOptions();
        _folder = Path.GetFullPath(_options.WorkingDirectory ?? Directory.GetCurrentDirectory());
        _resolver = new NuGetReferenceResolver(_folder);
        _session = new CSharpSession(_resolver, _folder);
        _cells = new CellExecution(_session, _resolver, new CellOptions { Interrupt = _interrupt });
        _tracking = new MlopsSession(NotebookProvenance(_options.NotebookPath), _options.TrackingUri);
        _processes = CellProcesses.Watch();
    }

    /// <summary>Jupyter's execution count: the cells run so far that counted.</summary>
    public int ExecutionCount => _executionCount;

    /// <summary>The code of the submissions that compiled, in order: what completion and hover see as the session.</summary>
    public IReadOnlyList<string> Submissions => _session.Submissions;

    /// <summary>The assemblies the session references beyond its defaults (restored packages, <c>#r</c> files).</summary>
    public IReadOnlyList<string> ReferencePaths => _session.ReferencePaths;

    /// <summary>The tracking session the cells' runs belong to (its provenance names the notebook, when known).</summary>
    public MlopsSession Tracking => _tracking;

    /// <summary>Compiles an empty submission, so that the first cell does not pay the compiler's warm-up.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _session.StartAsync(cancellationToken);

    public async Task<ExecuteOutcome> ExecuteAsync(ExecuteRequest request, ILiveOutputs outputs, CancellationToken cancellationToken = default)
    {
        var count = request.StoreHistory ? ++_executionCount : _executionCount;
        Learn(request.NotebookPath);
        var cell = new NotebookCell { Kind = CellKind.Code, Language = "csharp", Source = request.Code };
        var live = request.Silent ? Silent.Instance : outputs;
        using var current = MlopsSession.Use(_tracking);
        // A program a cell starts (a training script) logs runs of this notebook too: it reads them from its environment.
        using var inherited = ChildEnvironment.Set(_tracking.Provenance.ToEnvironment());
        var previousDirectory = _options.WorkingDirectory is null ? null : Directory.GetCurrentDirectory();
        if (previousDirectory is not null)
        {
            Directory.SetCurrentDirectory(_folder); // relative paths mean what they mean in the runner and the kernel
        }
        _interrupt.Begin();
        FailedCell? failure;
        try
        {
            failure = await Task.Run(() => _cells.RunAsync(cell, Math.Max(count, 1), count, _options.NotebookPath ?? request.NotebookPath, live: live, record: request.StoreHistory),
                cancellationToken);
        }
        finally
        {
            _interrupt.End();
            if (previousDirectory is not null)
            {
                Directory.SetCurrentDirectory(previousDirectory);
            }
        }
        if (request.StoreHistory)
        {
            _lastFailed = failure is not null;
        }
        return new ExecuteOutcome(count, failure is null ? null : new CellFailure(failure.Kind, failure.Line, failure.Message),
            Interrupted: failure is { Kind: CellExecution.Interrupted });
    }

    /// <summary>Stops the running cell, if any; the session keeps what earlier cells defined.</summary>
    public void Interrupt() => _interrupt.Interrupt();

    /// <summary>
    /// Ends the session as a shutdown ends a notebook's: its runs still active end, FAILED when its last cell failed (as
    /// the runner ends a failed notebook's) and FINISHED otherwise (as the kernel's exit ends them), and the processes
    /// its cells started are ended.
    /// </summary>
    public void Dispose()
    {
        _processes.EndAll();
        _tracking.EndAll(_lastFailed ? RunStatus.Failed : RunStatus.Finished);
        _tracking.Dispose();
    }

    /// <summary>The notebook a request names becomes the runs' source, when the session did not know its notebook yet and no run has started.</summary>
    private void Learn(string? notebook)
    {
        if (_tracking.Provenance.Source is not null || notebook is null || _tracking.ActiveRun is not null)
        {
            return;
        }
        _tracking.Dispose();
        _tracking = new MlopsSession(NotebookProvenance(notebook), _options.TrackingUri);
    }

    // The notebook's path and, when the file is there, its content hash, as the runner records them.
    private Provenance NotebookProvenance(string? notebook)
    {
        if (notebook is null)
        {
            return Provenance.None;
        }
        var path = Path.GetFullPath(notebook, _folder);
        return new Provenance(path, File.Exists(path) ? ContentHash.OfFile(path).ToString() : null);
    }

    /// <summary>A client's silent execution: nothing is shown, and a ReadLine reads the end of input.</summary>
    private sealed class Silent : ILiveOutputs
    {
        public static Silent Instance { get; } = new();

        public void Add(CellOutput output)
        {
        }

        public void Update(CellOutput display)
        {
        }

        public string? Input(string prompt, bool password) => null;
    }
}
