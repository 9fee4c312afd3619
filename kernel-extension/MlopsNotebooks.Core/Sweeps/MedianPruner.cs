namespace MlopsNotebooks.Sweeps;

/// <summary>
/// Optuna's median rule: at a step it checks, a trial whose best value so far is worse than the median of the other
/// complete and pruned trials' values at that step is stopped. It checks nothing until <see cref="StartupTrials"/> trials
/// are complete (the median of too few is noise), nor before step <see cref="WarmupSteps"/> (early steps of a slow
/// starter say little), and then once in each <see cref="IntervalSteps"/> steps.
/// </summary>
public sealed class MedianPruner : IPruner
{
    public MedianPruner(int startupTrials = 5, long warmupSteps = 0, long intervalSteps = 1)
    {
        if (startupTrials < 0 || warmupSteps < 0 || intervalSteps < 1)
        {
            throw new MlopsException(
                $"The median pruner needs startupTrials >= 0, warmupSteps >= 0 and intervalSteps >= 1; it was given {startupTrials}, {warmupSteps} and {intervalSteps}.",
                "Leave them out for Optuna's defaults: 5 startup trials, no warm-up, a check at every step.");
        }
        StartupTrials = startupTrials;
        WarmupSteps = warmupSteps;
        IntervalSteps = intervalSteps;
    }

    public string Name => "median";

    public int StartupTrials { get; }

    public long WarmupSteps { get; }

    public long IntervalSteps { get; }

    public bool ShouldPrune(TrialResult trial, IReadOnlyList<TrialResult> others, Direction direction)
    {
        if (trial.Steps.Count == 0 || others.Count(o => o.Number != trial.Number && o.State == TrialState.Complete) < Math.Max(StartupTrials, 1))
        {
            return false;
        }
        var step = trial.Steps.Max(s => s.Step);
        if (step < WarmupSteps || !FirstReportInInterval(trial, step))
        {
            return false;
        }

        var reported = trial.Steps.Select(s => s.Value).Where(v => !double.IsNaN(v)).ToList();
        if (reported.Count == 0)
        {
            return true;
        }
        var best = direction == Direction.Maximize ? reported.Max() : reported.Min();
        var atStep = new List<double>();
        foreach (var other in others)
        {
            if (other.Number != trial.Number && other.State is TrialState.Complete or TrialState.Pruned
                && ValueAt(other, step) is { } value && !double.IsNaN(value))
            {
                atStep.Add(value);
            }
        }
        if (atStep.Count == 0)
        {
            return false;
        }
        var median = Median(atStep);
        return direction == Direction.Maximize ? best < median : best > median;
    }

    /// <summary>
    /// Whether this is the trial's first report since the last check point (warm-up, then every interval), so that a
    /// trial reporting at uneven steps is still checked once per interval.
    /// </summary>
    private bool FirstReportInInterval(TrialResult trial, long step)
    {
        var checkPoint = (step - WarmupSteps) / IntervalSteps * IntervalSteps + WarmupSteps;
        var previous = trial.Steps.Where(s => s.Step != step).Select(s => s.Step).DefaultIfEmpty(-1).Max();
        return previous < checkPoint;
    }

    /// <summary>The trial's value at the step (its last report there).</summary>
    private static double? ValueAt(TrialResult trial, long step)
    {
        double? value = null;
        foreach (var (s, v) in trial.Steps)
        {
            if (s == step)
            {
                value = v;
            }
        }
        return value;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        var middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : 0.5 * (values[middle - 1] + values[middle]);
    }
}
