using MlopsNotebooks.Sweeps;

namespace MlopsNotebooks.Tests.Sweeps;

public sealed class PrunerTests
{
    private static readonly Dictionary<string, object> NoValues = new();

    /// <summary>A trial that reported <paramref name="value"/> at every step from 0 to <paramref name="lastStep"/>.</summary>
    private static TrialResult Steady(int number, TrialState state, double value, long lastStep) =>
        new(number, NoValues, state, state == TrialState.Complete ? value : null,
            Enumerable.Range(0, (int)lastStep + 1).Select(s => ((long)s, value)).ToList());

    /// <summary>The trial being judged: running, with its reports so far.</summary>
    private static TrialResult Running(params double[] values) =>
        new(100, NoValues, TrialState.Running, null, values.Select((v, s) => ((long)s, v)).ToList());

    private static List<TrialResult> Complete(int count, double value, long lastStep = 9) =>
        Enumerable.Range(0, count).Select(n => Steady(n, TrialState.Complete, value, lastStep)).ToList();

    [Fact]
    public void A_trial_that_lags_the_median_is_stopped_after_the_warm_up_and_not_before()
    {
        var pruner = new MedianPruner(warmupSteps: 3);
        var others = Complete(5, 0.8);

        Assert.False(pruner.ShouldPrune(Running(0.5), others, Direction.Maximize));
        Assert.False(pruner.ShouldPrune(Running(0.5, 0.5, 0.5), others, Direction.Maximize));
        Assert.True(pruner.ShouldPrune(Running(0.5, 0.5, 0.5, 0.5), others, Direction.Maximize));
    }

    [Fact]
    public void Nothing_is_pruned_before_the_startup_trials_are_complete_and_pruned_or_failed_ones_do_not_count()
    {
        var pruner = new MedianPruner();
        var lagging = Running(0.1, 0.1);
        var others = Complete(4, 0.8);
        others.Add(Steady(4, TrialState.Pruned, 0.9, 3));
        others.Add(Steady(5, TrialState.Failed, 0.9, 3));
        others.Add(Steady(6, TrialState.Running, 0.9, 3));

        Assert.False(pruner.ShouldPrune(lagging, others, Direction.Maximize));
        others.Add(Steady(7, TrialState.Complete, 0.8, 9));
        Assert.True(pruner.ShouldPrune(lagging, others, Direction.Maximize));
        Assert.False(new MedianPruner(startupTrials: 0).ShouldPrune(lagging, [], Direction.Maximize));
    }

    [Fact]
    public void A_trial_at_or_better_than_the_median_goes_on_and_its_best_value_so_far_is_what_counts()
    {
        var pruner = new MedianPruner();
        var others = Complete(2, 0.6).Concat(Complete(3, 0.8).Select(t => t with { Number = t.Number + 2 })).ToList();

        Assert.False(pruner.ShouldPrune(Running(0.8), others, Direction.Maximize));
        Assert.True(pruner.ShouldPrune(Running(0.79), others, Direction.Maximize));
        // It dipped at step 2, but its best so far (0.9) beats the median there.
        Assert.False(pruner.ShouldPrune(Running(0.9, 0.7, 0.3), others, Direction.Maximize));
    }

    [Fact]
    public void When_the_sweep_minimizes_a_trial_above_the_median_lags()
    {
        var pruner = new MedianPruner();
        var others = Complete(5, 0.3);

        Assert.True(pruner.ShouldPrune(Running(0.4, 0.35), others, Direction.Minimize));
        Assert.False(pruner.ShouldPrune(Running(0.4, 0.3), others, Direction.Minimize));
    }

    [Fact]
    public void The_median_is_of_the_other_complete_and_pruned_trials_at_the_same_step()
    {
        var pruner = new MedianPruner();
        // Five complete trials at 0.6 until step 9; ten pruned ones at 0.9 until step 2.
        var others = Complete(5, 0.6).Concat(Enumerable.Range(5, 10).Select(n => Steady(n, TrialState.Pruned, 0.9, 2))).ToList();
        // Failed, lost and running trials far ahead at every step, more of them than the complete ones: not counted.
        TrialState[] ignored = [TrialState.Failed, TrialState.Lost, TrialState.Running];
        others.AddRange(Enumerable.Range(20, 12).Select(n => Steady(n, ignored[n % 3], 0.99, 9)));

        Assert.True(pruner.ShouldPrune(Running(0.7, 0.7, 0.7), others, Direction.Maximize));
        Assert.False(pruner.ShouldPrune(Running(0.7, 0.7, 0.7), others.Where(t => t.Number < 5).ToList(), Direction.Maximize));
        Assert.False(pruner.ShouldPrune(Running(0.7, 0.7, 0.7, 0.7), others, Direction.Maximize));
    }

    [Fact]
    public void With_an_interval_a_trial_is_checked_at_the_first_report_of_each_interval_after_the_warm_up()
    {
        var pruner = new MedianPruner(warmupSteps: 1, intervalSteps: 3);
        var others = Complete(5, 0.8);

        var checkedAt = Enumerable.Range(1, 9)
            .Where(steps => pruner.ShouldPrune(Running(Enumerable.Repeat(0.5, steps).ToArray()), others, Direction.Maximize))
            .Select(steps => steps - 1);
        Assert.Equal([1L, 4, 7], checkedAt.Select(s => (long)s));

        // Reports at steps 0 and 6 only: step 6 is the first report since the check point at step 4.
        var sparse = new TrialResult(100, NoValues, TrialState.Running, null, [(0, 0.5), (6, 0.5)]);
        Assert.True(pruner.ShouldPrune(sparse, others, Direction.Maximize));
    }

    [Fact]
    public void A_trial_with_no_other_trial_at_its_step_goes_on_and_one_that_reported_only_NaN_is_stopped()
    {
        var pruner = new MedianPruner();
        var others = Complete(5, 0.8, lastStep: 2);

        Assert.False(pruner.ShouldPrune(Running(0.1, 0.1, 0.1, 0.1), others, Direction.Maximize));
        Assert.True(pruner.ShouldPrune(Running(double.NaN), others, Direction.Maximize));
    }

    [Fact]
    public void Pruners_are_found_by_name_none_is_no_pruner_and_bad_settings_are_refused()
    {
        Assert.IsType<MedianPruner>(Pruners.Named("median"));
        Assert.Null(Pruners.Named("none"));
        var error = Assert.Throws<MlopsException>(() => Pruners.Named("hyperband"));
        Assert.Contains("'hyperband'", error.Message);
        Assert.Contains("median, none", error.Hint);
        Assert.Throws<MlopsException>(() => new MedianPruner(startupTrials: -1));
        Assert.Throws<MlopsException>(() => new MedianPruner(warmupSteps: -1));
        Assert.Throws<MlopsException>(() => new MedianPruner(intervalSteps: 0));
    }
}
