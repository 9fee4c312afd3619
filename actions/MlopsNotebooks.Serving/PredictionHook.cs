using System.Threading.Channels;

namespace MlopsNotebooks.Serving;

/// <summary>One answered prediction request, as the hook hands it on: the rows in, the rows out, in the columns' order.</summary>
public sealed record PredictionRecord(
    DateTimeOffset Time,
    string Model,
    int? Version,
    string Route,
    IReadOnlyList<string> InputColumns,
    IReadOnlyList<object?[]> Inputs,
    IReadOnlyList<string> OutputColumns,
    IReadOnlyList<object?[]> Outputs,
    double Seconds)
{
    /// <summary>The request's id, as its answer's X-Request-Id header carries it: what feedback names it by.</summary>
    public string RequestId { get; init; } = "";
}

/// <summary>Where predictions go after they are answered (the monitoring log). Called from one background loop, never from a request.</summary>
public interface IPredictionSink
{
    ValueTask WriteAsync(PredictionRecord record, CancellationToken cancellationToken);
}

/// <summary>The default sink: keeps nothing.</summary>
public sealed class DiscardingSink : IPredictionSink
{
    public ValueTask WriteAsync(PredictionRecord record, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>
/// Hands predictions to a sink through a bounded queue: offering never waits, and a record that finds the queue full
/// (a slow sink) is dropped and counted, so the sink can never slow a request. A sink that throws loses that record,
/// counted the same way.
/// </summary>
public sealed class PredictionHook : IAsyncDisposable
{
    private readonly Channel<PredictionRecord> _queue;
    private readonly IPredictionSink _sink;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private long _dropped;

    public PredictionHook(IPredictionSink sink, int capacity)
    {
        _sink = sink;
        _queue = Channel.CreateBounded<PredictionRecord>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // with Wait, TryWrite answers false when full instead of dropping silently
            SingleReader = true,
        });
        _loop = Task.Run(DrainAsync);
    }

    /// <summary>Records dropped so far: the queue was full, or the sink failed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Called for each drop, e.g. to count it in the metrics.</summary>
    public event Action? Dropping;

    /// <summary>Queues a record without waiting; false when it was dropped.</summary>
    public bool Offer(PredictionRecord record)
    {
        if (_queue.Writer.TryWrite(record))
        {
            return true;
        }
        Drop();
        return false;
    }

    private void Drop()
    {
        Interlocked.Increment(ref _dropped);
        Dropping?.Invoke();
    }

    private async Task DrainAsync()
    {
        await foreach (var record in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
        {
            try
            {
                await _sink.WriteAsync(record, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                Drop();
            }
        }
    }

    /// <summary>Stops taking records and gives the sink five seconds to write those queued.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        _stop.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the sink did not finish in time: what is left is dropped with the process
        }
        _stop.Dispose();
    }
}
