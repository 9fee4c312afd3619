namespace MlopsNotebooks.Sweeps;

/// <summary>Samples every active hyperparameter independently from its prior: the baseline every tuner must beat.</summary>
public sealed class RandomTuner : ITuner
{
    public string Name => "random";

    public IReadOnlyDictionary<string, object> Suggest(SearchSpace space, IReadOnlyList<TrialResult> history, Direction direction, Random random)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var parameter in space.Parameters)
        {
            if (SearchSpace.IsActive(parameter, values))
            {
                values[parameter.Name] = Sample(parameter, random);
            }
        }
        return values;
    }

    /// <summary>One value from the parameter's prior: uniform, or uniform in the logarithm.</summary>
    public static object Sample(Hyperparameter parameter, Random random) => parameter switch
    {
        IntParameter p when p.Log => Math.Clamp((long)Math.Floor(Math.Exp(Uniform(Math.Log(p.Low), Math.Log(p.High + 1.0), random))), p.Low, p.High),
        IntParameter p => p.Low + random.NextInt64(p.High - p.Low + 1),
        FloatParameter p when p.Log => Math.Exp(Uniform(Math.Log(p.Low), Math.Log(p.High), random)),
        FloatParameter p => Uniform(p.Low, p.High, random),
        ChoiceParameter p => p.Choices[random.Next(p.Choices.Count)],
        _ => throw new ArgumentOutOfRangeException(nameof(parameter), parameter, "Unknown kind of hyperparameter."),
    };

    private static double Uniform(double low, double high, Random random) => low + random.NextDouble() * (high - low);
}
