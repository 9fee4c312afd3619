namespace MlopsNotebooks.Sweeps;

/// <summary>
/// The tree-structured Parzen estimator (Bergstra et al., 2011), as Optuna's default sampler runs it: after
/// <see cref="StartupTrials"/> trials sampled from the priors, the trials are split into the best tenth (at most 25) and
/// the rest; for each active hyperparameter, <see cref="Candidates"/> values are drawn from a Parzen estimator of the
/// best trials' values and the one with the highest ratio of that density to the rest's is taken.
/// </summary>
/// <remarks>
/// A hyperparameter is modelled on the trials where it was active, so a trainer's settings learn from that trainer's
/// trials only. A pruned trial counts with its last reported value, ranked below every complete trial and above pruned
/// trials that stopped earlier. Unlike Optuna, a failed trial counts too, as the worst of all (among the rest, never
/// the good ones, and not towards the startup trials): ignored, a trainer whose settings ML.NET rejects looks unexplored
/// to the model, which then proposes it again and again, and each failure counts against the sweep's cap. Lost and
/// running trials are ignored (no constant liar: workers that suggest at once may propose neighbouring values).
/// </remarks>
public sealed class TpeTuner : ITuner
{
    public TpeTuner(int startupTrials = 10, int candidates = 24, double priorWeight = 1.0)
    {
        if (startupTrials < 0 || candidates < 1 || !(priorWeight > 0) || double.IsInfinity(priorWeight))
        {
            throw new MlopsException(
                $"The TPE tuner needs startupTrials >= 0, candidates >= 1 and a positive prior weight; it was given {startupTrials}, {candidates} and {priorWeight}.",
                "Leave them out for Optuna's defaults: 10 startup trials, 24 candidates, a prior weight of 1.");
        }
        StartupTrials = startupTrials;
        Candidates = candidates;
        PriorWeight = priorWeight;
    }

    public string Name => "tpe";

    /// <summary>How many trials are sampled from the priors before the model is used.</summary>
    public int StartupTrials { get; }

    /// <summary>How many values are drawn from the good trials' estimator to pick one from.</summary>
    public int Candidates { get; }

    /// <summary>The weight of the prior (the whole range) beside the trials in each estimator.</summary>
    public double PriorWeight { get; }

    public IReadOnlyDictionary<string, object> Suggest(SearchSpace space, IReadOnlyList<TrialResult> history, Direction direction, Random random)
    {
        var observed = Observations(history, direction);
        var learned = observed.Count(o => !double.IsPositiveInfinity(o.Stage));
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        if (learned < StartupTrials || learned == 0)
        {
            foreach (var parameter in space.Parameters.Where(p => SearchSpace.IsActive(p, values)))
            {
                values[parameter.Name] = RandomTuner.Sample(parameter, random);
            }
            return values;
        }

        var (below, above) = Split(observed, learned);
        foreach (var parameter in space.Parameters)
        {
            if (SearchSpace.IsActive(parameter, values))
            {
                values[parameter.Name] = parameter is ChoiceParameter choice
                    ? SuggestChoice(choice, below, above, random)
                    : SuggestNumber(parameter, below, above, random);
            }
        }
        return values;
    }

    /// <summary>A trial the model learns from, with its rank: lower is better.</summary>
    private sealed record Observation(int Number, IReadOnlyDictionary<string, object> Values, double Stage, double Loss);

    /// <summary>
    /// Complete trials first (stage -inf) by their loss; then pruned trials, those that got further first (stage -step);
    /// then pruned trials that reported nothing; failed trials last (stage +inf). The loss is the value, negated when the
    /// sweep maximizes.
    /// </summary>
    private static List<Observation> Observations(IReadOnlyList<TrialResult> history, Direction direction)
    {
        var sign = direction == Direction.Minimize ? 1.0 : -1.0;
        var observed = new List<Observation>();
        foreach (var trial in history.OrderBy(t => t.Number))
        {
            if (trial.State == TrialState.Complete && trial.Value is { } value && !double.IsNaN(value))
            {
                observed.Add(new Observation(trial.Number, trial.Values, double.NegativeInfinity, sign * value));
            }
            else if (trial.State == TrialState.Pruned && trial.Steps.Count > 0)
            {
                var last = trial.Steps.MaxBy(s => s.Step);
                observed.Add(new Observation(trial.Number, trial.Values, -last.Step,
                    double.IsNaN(last.Value) ? double.PositiveInfinity : sign * last.Value));
            }
            else if (trial.State == TrialState.Pruned)
            {
                observed.Add(new Observation(trial.Number, trial.Values, 1, 0));
            }
            else if (trial.State is TrialState.Failed or TrialState.Complete)
            {
                // A complete trial gets here without a value (NaN): it told nothing better than a failure.
                observed.Add(new Observation(trial.Number, trial.Values, double.PositiveInfinity, 0));
            }
        }
        return observed;
    }

    /// <summary>
    /// The best tenth of the <paramref name="learned"/> trials that did not fail (at most 25) and the rest, each in the
    /// order the trials ran.
    /// </summary>
    private static (List<Observation> Below, List<Observation> Above) Split(List<Observation> observed, int learned)
    {
        var count = Math.Min((int)Math.Ceiling(0.1 * learned), 25);
        var best = observed.Select((o, i) => (o, i))
            .OrderBy(x => x.o.Stage).ThenBy(x => x.o.Loss).ThenBy(x => x.i)
            .Take(count).Select(x => x.i).ToHashSet();
        var below = new List<Observation>(count);
        var above = new List<Observation>(observed.Count - count);
        for (var i = 0; i < observed.Count; i++)
        {
            (best.Contains(i) ? below : above).Add(observed[i]);
        }
        return (below, above);
    }

    private string SuggestChoice(ChoiceParameter parameter, List<Observation> below, List<Observation> above, Random random)
    {
        var good = ChoiceDensity(parameter, below);
        var rest = ChoiceDensity(parameter, above);
        var bestIndex = -1;
        var bestScore = double.NegativeInfinity;
        for (var c = 0; c < Candidates; c++)
        {
            var index = Draw(good, random);
            var score = Math.Log(good[index]) - Math.Log(rest[index]);
            if (score > bestScore)
            {
                (bestIndex, bestScore) = (index, score);
            }
        }
        return parameter.Choices[bestIndex];
    }

    /// <summary>
    /// The mixture's probability of each choice: every trial's kernel puts its weight on its own choice, smoothed by the
    /// prior weight spread over all choices, and the prior is one more kernel, uniform over the choices.
    /// </summary>
    private double[] ChoiceDensity(ChoiceParameter parameter, List<Observation> observations)
    {
        var chosen = new List<int>(observations.Count);
        foreach (var observation in observations)
        {
            if (observation.Values.TryGetValue(parameter.Name, out var value) && value is string s)
            {
                var index = IndexOf(parameter.Choices, s);
                if (index >= 0)
                {
                    chosen.Add(index);
                }
            }
        }
        var weights = KernelWeights(chosen.Count);
        var choices = parameter.Choices.Count;
        var smoothing = PriorWeight / (chosen.Count + 1);
        var density = new double[choices];
        for (var k = 0; k < chosen.Count; k++)
        {
            for (var c = 0; c < choices; c++)
            {
                density[c] += weights[k] * (smoothing + (c == chosen[k] ? 1 : 0)) / (smoothing * choices + 1);
            }
        }
        for (var c = 0; c < choices; c++)
        {
            density[c] += weights[chosen.Count] / choices;
        }
        return density;
    }

    private static int IndexOf(IReadOnlyList<string> choices, string value)
    {
        for (var i = 0; i < choices.Count; i++)
        {
            if (string.Equals(choices[i], value, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    private object SuggestNumber(Hyperparameter parameter, List<Observation> below, List<Observation> above, Random random)
    {
        var scale = NumberScale.Of(parameter);
        if (scale.IsPoint)
        {
            return scale.FromModel(scale.Low);
        }
        var good = Estimator(scale, parameter.Name, below);
        var rest = Estimator(scale, parameter.Name, above);
        var bestValue = double.NaN;
        var bestScore = double.NegativeInfinity;
        for (var c = 0; c < Candidates; c++)
        {
            // The candidate is scored where it lands once rounded, as the trial will run it.
            scale.TryToModel(scale.FromModel(good.Sample(random)), out var x);
            var score = good.LogDensity(x) - rest.LogDensity(x);
            if (double.IsNaN(bestValue) || score > bestScore)
            {
                (bestValue, bestScore) = (x, score);
            }
        }
        return scale.FromModel(bestValue);
    }

    private ParzenEstimator Estimator(NumberScale scale, string name, List<Observation> observations)
    {
        var points = new List<double>(observations.Count);
        foreach (var observation in observations)
        {
            if (observation.Values.TryGetValue(name, out var value) && scale.TryToModel(value, out var x))
            {
                points.Add(x);
            }
        }
        return new ParzenEstimator(scale, points, KernelWeights(points.Count), PriorWeight);
    }

    /// <summary>
    /// The trials' kernel weights then the prior's, summing to 1: equal up to 25 trials; beyond, the 25 latest weigh 1
    /// and older ones less and less (down to 1/n), so that the model follows where the search has moved.
    /// </summary>
    private double[] KernelWeights(int count)
    {
        var weights = new double[count + 1];
        var ramp = count - 25;
        for (var i = 0; i < count; i++)
        {
            weights[i] = ramp <= 0 || i >= ramp ? 1.0
                : ramp == 1 ? 1.0 / count
                : 1.0 / count + (1.0 - 1.0 / count) * i / (ramp - 1);
        }
        weights[count] = PriorWeight;
        var sum = weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] /= sum;
        }
        return weights;
    }

    internal static int Draw(double[] probabilities, Random random)
    {
        var u = random.NextDouble();
        for (var i = 0; i < probabilities.Length - 1; i++)
        {
            if ((u -= probabilities[i]) < 0)
            {
                return i;
            }
        }
        return probabilities.Length - 1;
    }
}
