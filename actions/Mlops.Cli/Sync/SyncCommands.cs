using System.CommandLine;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli.Sync;

/// <summary><c>mlops sync</c>.</summary>
internal sealed record SyncSettings(string From, string To, IReadOnlyList<string> Experiments, bool DryRun);

/// <summary><c>mlops sync --from URI --to URI</c>: a laptop's runs pushed up to a team store, CI's pulled down.</summary>
internal static class SyncCommands
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "The store to copy from (a tracking URI: sqlite:///path.db, a file path, postgresql://...).", Required = true };
        var to = new Option<string>("--to") { Description = "The store to copy to; made when it does not exist (not in a dry run).", Required = true };
        var experiment = new Option<string[]>("--experiment", "-e")
        {
            Description = "Copy only this experiment, matched by name (repeat for several); default: every experiment and model.",
            AllowMultipleArgumentsPerToken = false,
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would move; write nothing." };
        return new Command("sync", "Copy experiments, runs, model versions, aliases and their objects from one store to another (ids kept; runs again move only what changed).")
        {
            from, to, experiment, dryRun, GlobalOptions.Json,
        }.Handles(parse => new SyncSettings(parse.GetValue(from)!, parse.GetValue(to)!, parse.GetValue(experiment) ?? [], parse.GetValue(dryRun)), Sync);
    }

    public static int Sync(SyncSettings settings, CliContext cli)
    {
        var report = StoreSync.Sync(settings.From, settings.To, new SyncOptions(settings.Experiments, settings.DryRun));
        cli.Write(SyncJson.Summary(report), SyncText.Summary(report));
        if (report.Conflicts.Count > 0)
        {
            throw new ConflictException($"{report.Conflicts.Count} item(s) differ in the destination and were left as they are: "
                + string.Join(", ", report.Conflicts.Select(c => c.Item)) + ".",
                "Look at both sides (mlops runs show, mlops models show with --tracking-uri); copy under another id by hand, or remove the destination's copy, then sync again.");
        }
        return MlopsCli.Ok;
    }
}
