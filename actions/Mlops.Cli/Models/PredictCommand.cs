using System.CommandLine;
using System.Globalization;
using MlopsNotebooks.Cli.Serve;
using MlopsNotebooks.Serving.Batch;

namespace MlopsNotebooks.Cli.Models;

/// <summary><c>mlops models predict</c>: batch scoring, the static deployment. A thin host over <see cref="BatchScorer"/>.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "name@alias or name/3 (a registered version), or an export bundle's folder." };
        var input = new Option<string>("--input") { Description = "The rows to score: a .csv file with a header, or a .parquet file.", Required = true };
        var output = new Option<string>("--output") { Description = "Where to write the input's columns and the model's (.csv or .parquet); replaced only when scoring succeeds.", Required = true };
        return new Command("predict", "Score a CSV or Parquet file with a model, in chunks: the rows with the model's output columns added.") { model, input, output }
            .Handles(parse => new PredictSettings(parse.GetValue(model)!, parse.GetValue(input)!, parse.GetValue(output)!), Predict);
    }

    public static Task<int> Predict(PredictSettings settings, CliContext cli, CancellationToken stop) =>
        RegisteredBundle.UseAsync(settings.Model, cli, async bundle =>
        {
            // A bar redrawn in place on a terminal; in a log, only the summary line.
            var terminal = !Console.IsErrorRedirected && ReferenceEquals(cli.Error, Console.Error);
            var summary = await BatchScorer.ScoreAsync(bundle, settings.Input, settings.Output,
                terminal ? (rows, share) => cli.Error.Write($"\r{Bar(share)} {rows.ToString("N0", CultureInfo.InvariantCulture)} rows") : null,
                cancellationToken: stop);
            if (terminal)
            {
                cli.Error.WriteLine();
            }
            cli.Output.WriteLine($"Scored {summary.Rows.ToString("N0", CultureInfo.InvariantCulture)} rows with {summary.Model} in "
                + $"{summary.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s: {settings.Output}");
            return MlopsCli.Ok;
        });

    private static string Bar(double share)
    {
        const int width = 30;
        var done = (int)Math.Round(Math.Clamp(share, 0, 1) * width);
        return $"[{new string('#', done)}{new string('.', width - done)}] {share,4:P0}";
    }
}
