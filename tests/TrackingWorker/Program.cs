using System.Globalization;
using MlopsNotebooks.Tracking;

// usage: TrackingWorker sweep ... (see SweepMode), or TrackingWorker <tracking-uri> <experiment> <run-name> <points> [flush-every] [report-every]
// Logs metric "x" at steps 0..points-1 (value = step) through the fluent API; after each explicit flush it prints
// "flushed <last step>" so a test that kills it knows what must be on disk. points = 0 means until killed.
// With report-every it prints "logged <step>" after every that many points, without flushing or pausing: the point
// was acknowledged (LogMetric returned), so a test that stops the worker knows what must reach the store.
if (args is ["sweep", ..])
{
    return SweepMode.Run(args[1..]);
}

var (uri, experiment, runName) = (args[0], args[1], args[2]);
var points = long.Parse(args[3], CultureInfo.InvariantCulture);
var flushEvery = args.Length > 4 ? long.Parse(args[4], CultureInfo.InvariantCulture) : 0;
var reportEvery = args.Length > 5 ? long.Parse(args[5], CultureInfo.InvariantCulture) : 0;

Mlops.SetTrackingUri(uri);
Mlops.SetExperiment(experiment);
using var run = Mlops.StartRun(runName);
Mlops.LogParam("worker", runName);
Console.WriteLine($"run {run.RunId}");
for (long step = 0; points == 0 || step < points; step++)
{
    Mlops.LogMetric("x", step, step);
    if (reportEvery > 0 && (step + 1) % reportEvery == 0)
    {
        Console.WriteLine($"logged {step}");
        Console.Out.Flush();
    }
    if (flushEvery > 0 && (step + 1) % flushEvery == 0)
    {
        Mlops.Client.Flush();
        Console.WriteLine($"flushed {step}");
        Console.Out.Flush();
        Thread.Sleep(1);
    }
}
Console.WriteLine("done");
return 0;
