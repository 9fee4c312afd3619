namespace MlopsNotebooks.Sweeps;

/// <summary>The pruners by the names that sweep files and the command line use.</summary>
public static class Pruners
{
    /// <summary>The names <see cref="Named"/> knows, the default first.</summary>
    public static IReadOnlyList<string> Names { get; } = ["median", "none"];

    /// <summary>A new pruner with its defaults: "median", or null for "none" (every trial runs to its end).</summary>
    public static IPruner? Named(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "median" => new MedianPruner(),
        "none" => null,
        _ => throw new MlopsException($"There is no pruner named '{name}'.",
            $"Name one of: {string.Join(", ", Names)} (median stops trials that lag the others at the same step; none runs each to its end)."),
    };
}
