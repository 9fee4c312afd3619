using System.Globalization;
using MlopsNotebooks.Sweeps;
using MlopsNotebooks.Tracking;

/// <summary>
/// usage: TrackingWorker sweep &lt;tracking-uri&gt; &lt;experiment&gt; &lt;sweep&gt; &lt;trials&gt; &lt;budget-seconds&gt; &lt;trial-ms&gt; [hang]
/// One worker of a sweep over x in [0, 1] whose metric is -(x - 0.3)²; each trial takes trial-ms (a cap or budget of 0
/// is none). It prints "trial N x" as a trial starts; with hang, the first trial it runs never ends (to be killed). At the
/// end it prints "done &lt;why it stopped&gt;".
/// </summary>
internal static class SweepMode
{
    public static int Run(string[] args)
    {
        var (uri, experiment, name) = (args[0], args[1], args[2]);
        var trials = int.Parse(args[3], CultureInfo.InvariantCulture);
        var budget = double.Parse(args[4], CultureInfo.InvariantCulture);
        var trialMs = int.Parse(args[5], CultureInfo.InvariantCulture);
        var hang = args.Length > 6 && args[6] == "hang";
        Mlops.SetTrackingUri(uri);
        var result = Mlops.Sweep(new SearchSpace().Float("x", 0, 1), trial =>
        {
            var x = trial.Get<double>("x");
            Console.WriteLine($"trial {trial.Number} {x.ToString("R", CultureInfo.InvariantCulture)}");
            Console.Out.Flush();
            Thread.Sleep(hang ? Timeout.Infinite : trialMs);
            return -(x - 0.3) * (x - 0.3);
        }, new SweepOptions
        {
            Name = name,
            Experiment = experiment,
            Metric = "score",
            Trials = trials > 0 ? trials : null,
            Budget = budget > 0 ? TimeSpan.FromSeconds(budget) : null,
            Seed = Environment.ProcessId,
        });
        Console.WriteLine($"done {result.Stop}");
        return 0;
    }
}
