namespace MlopsNotebooks.Sweeps;

/// <summary>The tuners by the names that sweep files and the command line use.</summary>
public static class Tuners
{
    /// <summary>The names <see cref="Named"/> knows, the default first.</summary>
    public static IReadOnlyList<string> Names { get; } = ["tpe", "random"];

    /// <summary>A new tuner with its defaults: "tpe" (a model of the good trials, after 10 random ones) or "random".</summary>
    public static ITuner Named(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "tpe" => new TpeTuner(),
        "random" => new RandomTuner(),
        _ => throw new MlopsException($"There is no tuner named '{name}'.",
            $"Name one of: {string.Join(", ", Names)} (tpe learns from the trials so far; random is the baseline)."),
    };
}
