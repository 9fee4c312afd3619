using System.Collections;

namespace MlopsNotebooks.Tracking;

/// <summary>Runs as a search returns them: a list with a type of its own, so that it has its own views.</summary>
public sealed class RunList(IReadOnlyList<Run> runs) : IReadOnlyList<Run>
{
    public Run this[int index] => runs[index];

    public int Count => runs.Count;

    public IEnumerator<Run> GetEnumerator() => runs.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
