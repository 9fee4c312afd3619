using System.Globalization;
using MlopsNotebooks.Display;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Sweeps;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli.Sweep;

/// <summary>
/// A sweep's progress as its workers see it. On a terminal, one bar redrawn in place (trials done against the cap, time
/// left, the best so far); redirected (a CI log), one plain line per trial as it ends, so a log reads top to bottom.
/// Every line is redacted and shows control characters as escapes, since values and errors are input.
/// </summary>
internal sealed class SweepProgress(TextWriter writer, bool terminal, TimeProvider clock) : IProgress<SweepStatus>
{
    private const int BarWidth = 24;

    private readonly HashSet<int> _shown = [];
    private readonly DateTimeOffset _started = clock.GetUtcNow();
    private bool _drawn;

    /// <summary>The bar when <paramref name="writer"/> is the console and the console is a terminal, lines otherwise.</summary>
    public static SweepProgress For(TextWriter writer) =>
        new(writer, (ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected)
            || (ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected), TimeProvider.System);

    public void Report(SweepStatus value)
    {
        if (terminal)
        {
            writer.Write("\r" + LogText.Safe(Bar(value)) + "\u001b[K");
            _drawn = true;
        }
        else
        {
            foreach (var trial in value.Trials.Where(t => t.State is not (TrialState.Running or TrialState.Lost) && _shown.Add(t.Number)).OrderBy(t => t.Number))
            {
                writer.WriteLine(LogText.Safe(Line(trial, value)));
            }
        }
        writer.Flush();
    }

    /// <summary>Ends the bar's line, so what follows starts on a line of its own.</summary>
    public void Finish()
    {
        if (_drawn)
        {
            writer.WriteLine();
            _drawn = false;
        }
    }

    /// <summary>One trial that ended: <c>trial 3 complete: auc 0.8123 (trainer=FastTree, ...) in 4.2s; 3/10 done, best 0.83 (trial 2)</c>.</summary>
    public static string Line(SweepTrial trial, SweepStatus status)
    {
        var value = trial.Value is { } v ? $" {status.Metric} {RunText.Number(v)}" : "";
        var note = trial.Note is { } n ? $" ({n})" : "";
        return Tracking.Names.Printable($"trial {trial.Number.ToString(CultureInfo.InvariantCulture)} {SweepHtml.State(trial.State)}:{value} [{SweepHtml.Values(trial.Values)}]"
            + $" in {RunText.Duration(trial.Duration)}{note}; {Done(status)}");
    }

    private string Bar(SweepStatus status)
    {
        var done = Count(status);
        var filled = status.Cap is { } cap and > 0 ? Math.Min(BarWidth, done * BarWidth / cap) : 0;
        var bar = status.Cap is null ? "" : "[" + new string('#', filled) + new string('.', BarWidth - filled) + "] ";
        var left = TimeLeft(status, done) is { } l ? $", {RunText.Duration(l)} left" : "";
        return Tracking.Names.Printable($"{bar}{Done(status)}{left}");
    }

    private static string Done(SweepStatus status)
    {
        var best = status.Best is { } b ? $"best {status.Metric} {RunText.Number(b.Value!.Value)} (trial {b.Number.ToString(CultureInfo.InvariantCulture)})" : "no trial complete yet";
        return $"{Count(status).ToString(CultureInfo.InvariantCulture)}{(status.Cap is { } cap ? "/" + cap.ToString(CultureInfo.InvariantCulture) : "")} done, {best}";
    }

    private static int Count(SweepStatus status) => status.Trials.Count(t => t.State is not (TrialState.Running or TrialState.Lost));

    // The budget's end when there is one; else the trials left at the pace of the ones done so far.
    private TimeSpan? TimeLeft(SweepStatus status, int done)
    {
        var now = clock.GetUtcNow();
        var byBudget = status.Deadline is { } deadline ? deadline - now : (TimeSpan?)null;
        TimeSpan? byTrials = status.Cap is { } cap && done > 0 ? (now - _started) / done * Math.Max(0, cap - done) : null;
        var left = byBudget is { } a && byTrials is { } b ? (a < b ? a : b) : byBudget ?? byTrials;
        return left is { } t && t < TimeSpan.Zero ? TimeSpan.Zero : left;
    }
}
