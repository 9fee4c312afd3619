using MlopsNotebooks.Notebooks;

namespace MlopsNotebooks.Runner.Interactive;

/// <summary>
/// Stops a running cell from another thread (a client's interrupt) without losing the session. .NET cannot abort a
/// thread, so the cell's code is made stoppable: each loop body and each method, lambda and local function body checks
/// <see cref="Check"/> (inserted by <see cref="StoppableCode"/>); the thread that runs the code up to its first await is
/// interrupted out of Sleep, Wait and Join; <see cref="Token"/> is cancelled for code that reads it; and a cell that is
/// still running after <see cref="Grace"/> is abandoned, the session staying as it was before it.
/// </summary>
public sealed class CellInterrupt
{
    /// <summary>The message of an interrupted cell's error, and of the exception its checks throw.</summary>
    internal const string Message = "interrupted";

    /// <summary>How long a cell has to stop on its own once interrupted before it is abandoned.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    // How many cells (of all the sessions in the process) are being interrupted: the checks' fast path reads only this.
    private static volatile int _interrupting;

    // The interrupt of the cell whose code runs on this flow of execution (and the tasks it starts).
    private static readonly AsyncLocal<CellInterrupt?> Flow = new();

    private readonly object _gate = new();
    private volatile bool _requested;
    private bool _running;
    private Thread? _thread;
    private CancellationTokenSource _token = new();
    private TaskCompletionSource _abandoned = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the running cell has been interrupted.</summary>
    public bool Requested => _requested;

    /// <summary>Cancelled when the running cell is interrupted: code that waits on something of its own can pass it.</summary>
    public CancellationToken Token => _token.Token;

    /// <summary>The interrupt's token of the cell this code runs in, or none outside a live session.</summary>
    public static CancellationToken CurrentToken => Flow.Value?.Token ?? CancellationToken.None;

    /// <summary>Completes once an interrupted cell has had its grace: then it is abandoned.</summary>
    internal Task Abandoned => _abandoned.Task;

    /// <summary>
    /// The cheap check at the top of every loop body and function body of a live session's cells: a volatile read while
    /// nothing is interrupted; throws in the interrupted cell's code (its own thread, its tasks), never in a thread a cell
    /// created itself (an exception there would end the process).
    /// </summary>
    public static void Check()
    {
        if (_interrupting != 0)
        {
            Stop();
        }
    }

    private static void Stop()
    {
        if (Flow.Value is { _requested: true } interrupt && (Thread.CurrentThread.IsThreadPoolThread || interrupt.IsCellThread))
        {
            throw new OperationCanceledException(Message, interrupt.Token);
        }
    }

    private bool IsCellThread
    {
        get
        {
            lock (_gate)
            {
                return _thread == Thread.CurrentThread;
            }
        }
    }

    /// <summary>A cell starts: nothing is interrupted.</summary>
    internal void Begin()
    {
        lock (_gate)
        {
            _running = true;
            _requested = false;
            if (_token.IsCancellationRequested)
            {
                _token.Dispose();
                _token = new CancellationTokenSource();
            }
            _abandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>The cell has ended (or was abandoned): an interrupt now waits for the next cell.</summary>
    internal void End()
    {
        lock (_gate)
        {
            if (_requested)
            {
                Interlocked.Decrement(ref _interrupting);
            }
            _requested = false;
            _running = false;
        }
    }

    /// <summary>Interrupts the running cell, once; nothing when no cell runs.</summary>
    public void Interrupt()
    {
        TaskCompletionSource abandoned;
        lock (_gate)
        {
            if (!_running || _requested)
            {
                return;
            }
            _requested = true;
            Interlocked.Increment(ref _interrupting);
            abandoned = _abandoned;
            // Under the lock, so that the cell's thread cannot be interrupted after it has left the cell's code.
            _thread?.Interrupt();
        }
        try
        {
            _token.Cancel();
        }
        catch (AggregateException)
        {
            // what a cell registered on the token threw; the cell is being stopped anyway
        }
        _ = Task.Delay(Grace).ContinueWith(_ => abandoned.TrySetResult(), TaskScheduler.Default);
    }

    /// <summary>
    /// Runs a part's code on a thread of its own, the one an interrupt wakes from Sleep, Wait or Join while the code runs
    /// on it (up to its first await). A thread of the pool is never interrupted: the interrupt would hit later work.
    /// </summary>
    internal Task<CellFailure?> Run(Func<Task<CellFailure?>> code)
    {
        var result = new TaskCompletionSource<CellFailure?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            Flow.Value = this;
            lock (_gate)
            {
                _thread = Thread.CurrentThread;
            }
            Task<CellFailure?> task;
            try
            {
                task = code();
            }
            catch (Exception e)
            {
                task = Task.FromException<CellFailure?>(e);
            }
            finally
            {
                Leave();
            }
            task.ContinueWith(t =>
            {
                if (t.Exception is { } e)
                {
                    result.TrySetException(e.InnerExceptions);
                }
                else
                {
                    result.TrySetResult(t.Result);
                }
            }, TaskScheduler.Default);
        })
        { IsBackground = true, Name = "cell" };
        thread.Start();
        return result.Task;
    }

    private void Leave()
    {
        try
        {
            lock (_gate)
            {
                _thread = null;
            }
        }
        catch (ThreadInterruptedException)
        {
            // the interrupt came as the code returned: it has taken effect already
            lock (_gate)
            {
                _thread = null;
            }
        }
    }

    /// <summary>
    /// The error an interrupted cell ends with, named as Jupyter names an interrupted cell's (KeyboardInterrupt), with
    /// the .NET exception that stopped it and the line, where known.
    /// </summary>
    internal static CellOutput Error(int? line)
    {
        var text = $"OperationCanceledException: {Message}{(line is null ? "" : $" at line {line}")}";
        return CellOutput.Error("KeyboardInterrupt", Message, [text]);
    }
}
