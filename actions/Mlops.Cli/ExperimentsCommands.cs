using System.CommandLine;
using System.Text.Json.Nodes;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli;

/// <summary><c>mlops experiments list</c>.</summary>
internal static class ExperimentsCommands
{
    public static Command Create()
    {
        var all = new Option<bool>("--all") { Description = "Include deleted experiments." };
        var list = new Command("list", "List experiments.") { GlobalOptions.Json, all };
        list.SetAction(parse =>
        {
            using var client = GlobalOptions.OpenReader(parse);
            var experiments = client.ListExperiments(parse.GetValue(all) ? ViewType.All : ViewType.ActiveOnly);
            GlobalOptions.Write(parse, new JsonArray(experiments.Select(e => (JsonNode)RunJson.Experiment(e)).ToArray()), RunText.Experiments(experiments));
            return MlopsCli.Ok;
        });
        return new Command("experiments", "Experiments: named groups of runs.") { list };
    }
}
