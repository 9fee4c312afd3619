using System.Runtime.ExceptionServices;

namespace MlopsNotebooks.Versioning;

/// <summary>
/// Parallel loops that fail like sequential ones: the first user error (or else the first error) is rethrown as it
/// is, not wrapped in an AggregateException, so hosts can show its message and hint.
/// </summary>
internal static class Parallelism
{
    public static void ForEach<T>(IEnumerable<T> items, int degree, CancellationToken cancellationToken, Action<T> body)
    {
        try
        {
            Parallel.ForEach(items, new ParallelOptions { MaxDegreeOfParallelism = degree, CancellationToken = cancellationToken }, body);
        }
        catch (AggregateException e)
        {
            var inner = e.Flatten().InnerExceptions;
            ExceptionDispatchInfo.Capture(inner.FirstOrDefault(x => x is MlopsException) ?? inner[0]).Throw();
        }
    }

    public static void ForEach<T>(IEnumerable<T> items, Action<T> body) =>
        ForEach(items, Environment.ProcessorCount, CancellationToken.None, body);
}
