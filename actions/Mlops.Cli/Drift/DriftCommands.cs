using System.CommandLine;
using MlopsNotebooks.Display;
using MlopsNotebooks.GitHub.Monitoring;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli.Drift;

/// <summary>
/// <c>mlops drift &lt;reference&gt; &lt;current.csv&gt;</c>: a CSV compared with a model version's reference (name@alias,
/// name/3, a bundle folder) or with a reference CSV, on a terminal (a table), for machines (--json: per column the test,
/// its statistic, p-value, threshold and verdict) or as files (--html with charts, --markdown). Drift is a finding:
/// exit 0 unless --fail-on-drift.
/// </summary>
internal static class DriftCommands
{
    public static Command Create()
    {
        var reference = new Argument<string>("reference") { Description = "A reference CSV (e.g. the training data), an export bundle folder, or a registered version: name@alias, name/3." };
        var current = new Argument<string>("current") { Description = "The CSV to compare with it." };
        var judged = new DriftArguments();
        var columns = new Option<string?>("--columns") { Description = "Only these columns, comma-separated." };
        var html = new Option<string?>("--html") { Description = "Also write the report as an HTML page with charts to this file." };
        var markdown = new Option<string?>("--markdown") { Description = "Also write the report as Markdown (a table and a Mermaid chart) to this file." };
        var failOnDrift = new Option<bool>("--fail-on-drift") { Description = "Exit 1 when the data set or the predictions drifted." };
        var command = new Command("drift", "Compare a CSV with a model version's reference (or a reference CSV): per column the test Evidently would pick, its figure, threshold and verdict.")
        {
            reference, current, columns, html, markdown, failOnDrift, GlobalOptions.Json, GlobalOptions.PlotlyJs,
        };
        foreach (var option in judged.All)
        {
            command.Add(option);
        }
        return command.Handles(parse =>
        {
            GlobalOptions.UsePlotlyJs(parse.GetValue(GlobalOptions.PlotlyJs));
            return new DriftSettings(parse.GetValue(reference)!, parse.GetValue(current)!,
                DriftArguments.Build(parse.GetValue(judged.Mode)!, parse.GetValue(judged.Test)!, parse.GetValue(judged.Threshold), parse.GetValue(judged.Share),
                    parse.GetValue(columns)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)),
                parse.GetValue(html), parse.GetValue(markdown), parse.GetValue(failOnDrift));
        }, Drift);
    }

    public static int Drift(DriftSettings settings, CliContext cli)
    {
        if (!File.Exists(settings.Current))
        {
            throw new NotFoundException($"The current data {settings.Current} does not exist.", "Give the CSV to compare (a header row, one row per example).");
        }
        TrackingClient? client = null;
        try
        {
            var reference = DriftInputs.Resolve(settings.Reference, () => new ModelRegistry(client ??= cli.OpenReader()));
            var report = DriftInputs.CompareCsv(reference, settings.Current, settings.Options);
            if (settings.Html is { } html)
            {
                AtomicFile.WriteAllText(html, DriftHtml.Page(report));
            }
            if (settings.Markdown is { } markdown)
            {
                AtomicFile.WriteAllText(markdown, DriftMarkdown.Build(report));
            }
            cli.Write(DriftJson.Report(report), DriftText.Report(report));
            return settings.FailOnDrift && (report.DatasetDrifted || report.Prediction?.Drifted == true) ? MlopsCli.UserError : MlopsCli.Ok;
        }
        finally
        {
            client?.Dispose();
        }
    }
}

/// <summary><c>mlops drift</c>: what to compare, how, and where the report goes besides the terminal.</summary>
internal sealed record DriftSettings(string Reference, string Current, DriftOptions Options, string? Html, string? Markdown, bool FailOnDrift);
