using System.CommandLine;
using System.Globalization;
using System.Text;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Sweeps;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Cli.Sweep;

/// <summary>
/// <c>mlops action sweep</c>: one worker of a sweep in a CI job (the jobs of a matrix with one sweep name and one team
/// store are its workers), then, when asked, the best trial's model registered. Without a notebook it runs no trial: the
/// job after the workers registers the best and writes the trials to the job summary.
/// </summary>
internal static class SweepAction
{
    public static Command Create()
    {
        var command = new Command("sweep", "The sweep action: run trials of a sweep as one of its workers, and register the best trial's model.");
        command.SetAction(_ =>
        {
            var actions = ActionRunner.FromProcess();
            var space = actions.RequiredInput("space");
            var name = actions.Input("sweep-name");
            var register = actions.Input("register");
            var alias = actions.Input("alias");
            if (register is null && alias is not null)
            {
                throw new MlopsException("Input 'alias' names an alias for a registered model, but 'register' is not set.", "Set register: <model name>, or drop alias.");
            }
            SweepResult result;
            if (actions.Input("notebook") is { } notebook)
            {
                var settings = new SweepSettings(space, notebook, name, actions.Input("experiment"), Count(actions, "trials"),
                    actions.Input("budget") is { } budget ? Arguments.Duration(budget, "budget") : null,
                    actions.Input("tuner"), actions.Input("pruner"), actions.Input("metric"), Count(actions, "seed"), null);
                result = SweepCommands.Sweep(settings, Console.Out);
            }
            else
            {
                // No trials here: the sweep is read back by the name its workers used (the file's if none is given).
                var file = SweepFile.Read(space);
                var sweepName = name ?? file.Name ?? throw new MlopsException("Neither input 'sweep-name' nor the sweep file names the sweep to read.",
                    "Pass sweep-name: the name the workers used, e.g. churn-${{ github.run_id }}.");
                using var reader = new TrackingClient(Storage.TrackingStores.OpenForReading());
                result = SweepCommands.Load(reader, actions.Input("experiment"), sweepName);
            }
            var status = result.Status;
            actions.AppendSummary(Summary(status));
            actions.SetOutput("sweep-run-id", status.RunId);
            actions.SetOutput("trials", status.Trials.Count.ToString(CultureInfo.InvariantCulture));
            if (status.Best is not { } best)
            {
                actions.Error($"No trial of sweep {Names.Printable(status.Name)} completed.", title: "Sweep");
                return MlopsCli.UserError;
            }
            actions.SetOutput("best-run-id", best.RunId);
            actions.SetOutput("best-value", best.Value!.Value.ToString("R", CultureInfo.InvariantCulture));
            actions.Log($"Best: trial {best.Number}, {status.Metric} {best.Value.Value.ToString("0.0000", CultureInfo.InvariantCulture)}, run {best.RunId}");
            if (register is not null)
            {
                using var client = new TrackingClient();
                var version = SweepCommands.Load(client, actions.Input("experiment"), status.Name).RegisterBest(register, alias);
                actions.SetOutput("version", version.Version.ToString(CultureInfo.InvariantCulture));
                actions.Notice($"Registered {version} from trial {best.Number} of sweep {Names.Printable(status.Name)}.", title: "Sweep");
            }
            return MlopsCli.Ok;
        });
        return command;
    }

    private static int? Count(ActionRunner actions, string input) => actions.Input(input) is not { } text ? null
        : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
        : throw new MlopsException($"Input '{input}' is not a whole number: {text}.", $"Give {input} as a number, e.g. 40.");

    // The job summary: the trials as a table, every value escaped (trial values and errors are input).
    private static string Summary(SweepStatus status)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"### Sweep {Markdown.Cell(status.Name)}\n\n");
        text.Append(CultureInfo.InvariantCulture, $"| trial | state | {Markdown.Cell(status.Metric)} | values | note |\n|---:|---|---:|---|---|\n");
        foreach (var trial in status.Trials.OrderBy(t => t.Number))
        {
            var cells = Display.SweepHtml.Cells(trial);
            var best = trial == status.Best ? " **best**" : "";
            text.Append(CultureInfo.InvariantCulture,
                $"| {trial.Number} | {Markdown.Cell(cells[1])}{best} | {Markdown.Cell(cells[2])} | {Markdown.Cell(cells[3])} | {Markdown.Cell(trial.Note ?? "")} |\n");
        }
        return text.ToString();
    }
}
