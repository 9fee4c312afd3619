using System.CommandLine;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli.Experiments;

/// <summary><c>mlops experiments list</c>.</summary>
internal sealed record ListExperimentsSettings(ViewType View);

/// <summary><c>mlops experiments list</c>.</summary>
internal static class ExperimentsCommands
{
    public static Command Create()
    {
        var all = new Option<bool>("--all") { Description = "Include deleted experiments." };
        var list = new Command("list", "List experiments.") { GlobalOptions.Json, all }
            .Handles(parse => new ListExperimentsSettings(parse.GetValue(all) ? ViewType.All : ViewType.ActiveOnly), List);
        return new Command("experiments", "Experiments: named groups of runs.") { list };
    }

    public static int List(ListExperimentsSettings settings, CliContext cli)
    {
        using var client = cli.OpenReader();
        var experiments = client.ListExperiments(settings.View);
        cli.Write(RunJson.Experiments(experiments), RunText.Experiments(experiments));
        return MlopsCli.Ok;
    }
}
