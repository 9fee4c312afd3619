using System.Globalization;
using System.Text;
using MlopsNotebooks.Display;
using Plotly.NET;

/// <summary>The benchmark's table, its verdicts against the issue's goal, and the curves.</summary>
internal static class Report
{
    /// <summary>How close to Optuna's best AUC our TPE must come (the issue's goal).</summary>
    private const double Tolerance = 0.005;

    public static void Print(IReadOnlyList<DataSetReport> reports, int budget)
    {
        var invariant = CultureInfo.InvariantCulture;
        Console.WriteLine($"\n| data set | searcher | trials | best AUC | seconds to its best |   (budget {budget} s each)");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: |");
        foreach (var report in reports)
        {
            foreach (var search in report.Searches)
            {
                var best = search.BestTrial;
                Console.WriteLine(string.Format(invariant, "| {0} | {1} | {2} | {3} | {4} |", report.DataSet, search.Searcher, search.Trials.Count,
                    best is null ? "-" : best.Auc.ToString("0.0000", invariant), best is null ? "-" : best.Seconds.ToString("0.0", invariant)));
            }
        }
        Console.WriteLine();
        foreach (var report in reports)
        {
            Console.WriteLine(Verdict(report));
        }
    }

    /// <summary>Whether our TPE beat random search, and whether it came within the tolerance of Optuna's best by the time Optuna reached it.</summary>
    private static string Verdict(DataSetReport report)
    {
        var invariant = CultureInfo.InvariantCulture;
        var (tpe, random, optuna) = (report.Searches[0], report.Searches[1], report.Searches[2]);
        if (tpe.BestTrial is not { } ours || random.BestTrial is not { } baseline || optuna.BestTrial is not { } theirs)
        {
            return $"{report.DataSet}: a searcher finished no trial in the budget; no verdict.";
        }
        var reached = tpe.TimeToReach(theirs.Auc - Tolerance);
        return string.Format(invariant,
            "{0}: TPE {1} random ({2:+0.0000;-0.0000} AUC); TPE {3} Optuna's best {4:0.0000} within {5} ({6}; Optuna reached it at {7:0.0} s)",
            report.DataSet, ours.Auc > baseline.Auc ? "beats" : "does not beat", ours.Auc - baseline.Auc,
            reached is { } at && at <= theirs.Seconds ? "reaches" : "does not reach", theirs.Auc, Tolerance,
            reached is { } when ? $"at {when.ToString("0.0", invariant)} s" : "never", theirs.Seconds);
    }

    /// <summary>A self-contained page (plotly.js embedded): best AUC so far against seconds, one chart per data set.</summary>
    public static string Curves(IReadOnlyList<DataSetReport> reports, int budget)
    {
        var page = new ChartPage(PlotlyJs.Embedded);
        var html = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Sweep benchmark</title>\n")
            .Append(page.HeadScript()).Append("</head><body>\n")
            .Append(CultureInfo.InvariantCulture, $"<h1>Best AUC so far against seconds ({budget} s per searcher)</h1>\n");
        foreach (var report in reports)
        {
            var traces = report.Searches.Select(search =>
            {
                var best = double.NegativeInfinity;
                var points = search.Trials.Select(t => (t.Seconds, Best: best = Math.Max(best, t.Auc))).ToList();
                var trace = new Trace("scatter");
                trace.SetProperty("name", RunCharts.Label(search.Searcher));
                trace.SetProperty("mode", "lines+markers");
                trace.SetProperty("line", new Dictionary<string, object> { ["shape"] = "hv" });
                trace.SetProperty("x", points.Select(p => p.Seconds).ToArray());
                trace.SetProperty("y", points.Select(p => p.Best).ToArray());
                return GenericChart.ofTraceObject(true, trace);
            }).ToArray();
            var layout = new Layout();
            layout.SetProperty("title", new Dictionary<string, object> { ["text"] = RunCharts.Label($"{report.DataSet} ({report.Rows:N0} rows, 5-fold AUC)") });
            layout.SetProperty("xaxis", new Dictionary<string, object> { ["title"] = new Dictionary<string, object> { ["text"] = "seconds" } });
            layout.SetProperty("yaxis", new Dictionary<string, object> { ["title"] = new Dictionary<string, object> { ["text"] = "best AUC so far" } });
            html.Append(RunCharts.ToHtmlFragment(GenericChart.addLayout(layout, GenericChart.combine(traces)), page)).Append('\n');
        }
        return html.Append("</body></html>\n").ToString();
    }
}
