using MlopsNotebooks.Storage;

namespace MlopsNotebooks.Tracking;

/// <summary>How the buffered metric writer trades latency for throughput.</summary>
public sealed record WriterOptions
{
    /// <summary>Longest time a logged point waits in memory before it is written.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A flush starts early once this many points wait.</summary>
    public int FlushThreshold { get; init; } = 50_000;

    /// <summary>Past this many waiting points, logging waits for the writer (bounds memory if the disk is slow).</summary>
    public int MaxPending { get; init; } = 4_000_000;

    /// <summary>How often a run that logs nothing is still marked alive.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Buffers metric points so that logging returns at once and training never waits on the disk; a background thread
/// writes them in batches. The promise: a point is on disk after the next <see cref="Flush"/> (which run end and
/// dispose call), on process exit, or within <see cref="WriterOptions.FlushInterval"/> of being logged, whichever
/// comes first. A process killed outright loses at most the points of that last interval; everything flushed before
/// is in the store.
/// </summary>
internal sealed class MetricWriter : IDisposable
{
    private readonly ITrackingStore _store;
    private readonly WriterOptions _options;
    private readonly object _gate = new();
    private readonly object _writeLock = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private readonly Dictionary<string, DateTimeOffset> _heartbeats = new(StringComparer.Ordinal);
    private List<(string RunId, Metric Metric)> _pending = new(1024);
    private List<(string RunId, Metric Metric)> _spare = new(1024);
    private volatile Exception? _error;
    private volatile bool _stopping;

    public MetricWriter(ITrackingStore store, WriterOptions options)
    {
        _store = store;
        _options = options;
        _thread = new Thread(Loop) { IsBackground = true, Name = "mlops-metric-writer" };
        _thread.Start();
        ProcessExitFlush.Register(this);
    }

    public void Add(string runId, Metric metric)
    {
        ThrowPendingError();
        lock (_gate)
        {
            while (_pending.Count >= _options.MaxPending && !_stopping && !ProcessShutdown.Terminating)
            {
                _wake.Set();
                Monitor.Wait(_gate, 100);
            }
            // Checked under the lock that the last flush takes to collect the points: a point is either in that flush,
            // or its call never returns.
            if (!ProcessShutdown.Terminating)
            {
                _pending.Add((runId, metric));
                if (_pending.Count == _options.FlushThreshold)
                {
                    _wake.Set();
                }
                return;
            }
        }
        ProcessShutdown.WaitIfTerminating();
    }

    /// <summary>Tracks a run for heartbeats while it is running in this process.</summary>
    public void Watch(string runId)
    {
        lock (_heartbeats)
        {
            _heartbeats[runId] = DateTimeOffset.UtcNow;
        }
    }

    public void Unwatch(string runId)
    {
        lock (_heartbeats)
        {
            _heartbeats.Remove(runId);
        }
    }

    /// <summary>Writes every point logged so far; throws what went wrong with a background write, once.</summary>
    public void Flush()
    {
        WritePending();
        ThrowPendingError();
    }

    private void ThrowPendingError()
    {
        if (_error is null)
        {
            return; // the common case, without the cost of an interlocked exchange
        }
        var error = Interlocked.Exchange(ref _error, null);
        if (error is not null)
        {
            throw error is MlopsException user
                ? SameKind(user, $"Some metric points could not be written: {user.Message}")
                : new UnavailableException($"Some metric points could not be written: {error.Message}",
                    "They are kept and retried; check that the tracking store is reachable.", error);
        }
    }

    // The writer only relays the store's failure: a read-only store stays unavailable, an ended run a conflict.
    private static MlopsException SameKind(MlopsException e, string message) => e.Kind switch
    {
        ErrorKind.NotFound => new NotFoundException(message, e.Hint, e),
        ErrorKind.Conflict => new ConflictException(message, e.Hint, e),
        ErrorKind.Unavailable => new UnavailableException(message, e.Hint, e),
        _ => new MlopsException(message, e.Hint, e),
    };

    private void Loop()
    {
        while (!_stopping)
        {
            _wake.WaitOne(_options.FlushInterval);
            WritePending();
            Heartbeat();
        }
    }

    private void WritePending()
    {
        lock (_writeLock)
        {
            List<(string RunId, Metric Metric)> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    return;
                }
                batch = _pending;
                _pending = _spare;
                Monitor.PulseAll(_gate);
            }
            var failedAt = -1;
            var i = 0;
            while (i < batch.Count)
            {
                // Points of one run come in runs of the list; each run's points go in one transaction.
                var runId = batch[i].RunId;
                var points = new List<Metric>();
                var start = i;
                for (; i < batch.Count && batch[i].RunId == runId; i++)
                {
                    points.Add(batch[i].Metric);
                }
                try
                {
                    _store.LogBatch(runId, points, [], []);
                    lock (_heartbeats)
                    {
                        if (_heartbeats.ContainsKey(runId))
                        {
                            _heartbeats[runId] = DateTimeOffset.UtcNow;
                        }
                    }
                }
                catch (EnvironmentException e)
                {
                    // The disk is full or the store is out of reach: keep the points for the next attempt.
                    _error = e;
                    failedAt = start;
                    break;
                }
                catch (MlopsException e)
                {
                    // The run ended or vanished: these points can never be written; say so once.
                    _error = e;
                }
                catch (Exception e)
                {
                    // The store is unreachable or busy: keep the points for the next attempt.
                    _error = e;
                    failedAt = start;
                    break;
                }
            }
            lock (_gate)
            {
                if (failedAt >= 0)
                {
                    // Unwritten points go back in front of those logged meanwhile, keeping their order.
                    _pending.InsertRange(0, batch.Skip(failedAt));
                }
                batch.Clear();
                _spare = batch;
            }
        }
    }

    private void Heartbeat()
    {
        var now = DateTimeOffset.UtcNow;
        List<string> due;
        lock (_heartbeats)
        {
            due = _heartbeats.Where(h => now - h.Value >= _options.HeartbeatInterval).Select(h => h.Key).ToList();
            foreach (var id in due)
            {
                _heartbeats[id] = now;
            }
        }
        foreach (var id in due)
        {
            try
            {
                _store.Heartbeat(id, now);
            }
            catch (Exception)
            {
                // A missed heartbeat only makes the run look stale sooner; the next one retries.
            }
        }
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        _wake.Set();
        _thread.Join();
        WritePending();
        ProcessExitFlush.Unregister(this);
        _wake.Dispose();
    }

    /// <summary>Flushes every live writer when the process exits normally (including on SIGTERM).</summary>
    private static class ProcessExitFlush
    {
        private static readonly List<WeakReference<MetricWriter>> Writers = [];

        static ProcessExitFlush() => AppDomain.CurrentDomain.ProcessExit += (_, _) => FlushAll();

        public static void Register(MetricWriter writer)
        {
            lock (Writers)
            {
                Writers.RemoveAll(w => !w.TryGetTarget(out _));
                Writers.Add(new WeakReference<MetricWriter>(writer));
            }
        }

        public static void Unregister(MetricWriter writer)
        {
            lock (Writers)
            {
                Writers.RemoveAll(w => !w.TryGetTarget(out var target) || ReferenceEquals(target, writer));
            }
        }

        private static void FlushAll()
        {
            MetricWriter[] live;
            lock (Writers)
            {
                live = Writers.Select(w => w.TryGetTarget(out var t) ? t : null).OfType<MetricWriter>().ToArray();
            }
            foreach (var writer in live)
            {
                try
                {
                    writer.WritePending();
                }
                catch (Exception e)
                {
                    Console.Error.WriteLine($"mlops: metric points could not be written at exit: {e.Message}");
                }
            }
        }
    }
}
