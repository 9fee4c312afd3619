using System.CommandLine;
using MlopsNotebooks.Versioning;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli.Data;

/// <summary><c>mlops data add|status|diff|checkout|push|pull|gc</c>.</summary>
internal static class DataCommands
{
    private static readonly Option<string?> Remote = new("--remote", "-r") { Description = "Remote name from mlops.yaml; default: data.remote." };

    private static Argument<string[]> Paths(string description) => new("paths") { Description = description, Arity = ArgumentArity.ZeroOrMore };

    public static Command Create()
    {
        var data = new Command("data", "Version data and models: content-addressed cache, pointer files in git, remotes.");
        data.Add(AddCommand());
        data.Add(StatusCommand());
        data.Add(DiffCommand());
        data.Add(CheckoutCommand());
        data.Add(TransferCommand("push", "Upload the data of the pointer files (all, or those named) that the remote lacks."));
        data.Add(TransferCommand("pull", "Download the data of the pointer files that the cache lacks, then restore missing paths."));
        data.Add(GcCommand());
        return data;
    }

    private static Command AddCommand()
    {
        var paths = new Argument<string[]>("paths") { Description = "Files or folders to version.", Arity = ArgumentArity.OneOrMore };
        var link = new Option<LinkType?>("--link") { Description = "How the work tree shares the cache: copy (default), reflink, hardlink, symlink." };
        return new Command("add", "Version files or folders: cache their content and write <path>.mlops beside each, to commit.") { paths, link, GlobalOptions.Json }
            .Handles(parse => new AddDataSettings(parse.GetValue(paths)!, parse.GetValue(link)), Add);
    }

    public static int Add(AddDataSettings settings, CliContext cli)
    {
        using var repo = new DataRepository();
        var versions = settings.Paths.Select(p => repo.Add(p, settings.Link)).ToList();
        cli.Write(DataJson.Versions(versions), DataText.Added(versions));
        return MlopsCli.Ok;
    }

    private static Command StatusCommand()
    {
        var paths = Paths("Versioned paths to check; default: every pointer file in the repository.");
        return new Command("status", "Show which versioned data changed since it was added, is missing, or is not in the cache.") { paths, GlobalOptions.Json }
            .Handles(parse => new DataStatusSettings(Named(parse, paths)), Status);
    }

    public static int Status(DataStatusSettings settings, CliContext cli)
    {
        using var repo = new DataRepository();
        var statuses = repo.Status(settings.Paths);
        cli.Write(DataJson.Statuses(statuses), DataText.Statuses(statuses));
        return MlopsCli.Ok;
    }

    private static Command DiffCommand()
    {
        var revision = new Argument<string>("revision") { Description = "A git revision to compare with.", DefaultValueFactory = _ => "HEAD" };
        return new Command("diff", "Show versioned data whose pointer differs between a git revision (default HEAD) and the work tree.") { revision, GlobalOptions.Json }
            .Handles(parse => new DataDiffSettings(parse.GetValue(revision)!), Diff);
    }

    public static int Diff(DataDiffSettings settings, CliContext cli)
    {
        using var repo = new DataRepository();
        var changes = repo.Diff(settings.Revision);
        cli.Write(DataJson.Changes(changes), DataText.Changes(changes));
        return MlopsCli.Ok;
    }

    private static Command CheckoutCommand()
    {
        var paths = Paths("Versioned paths to restore; default: all.");
        var force = new Option<bool>("--force") { Description = "Overwrite data that differs from its pointer file (its changes are lost)." };
        return new Command("checkout", "Restore versioned data from the cache to match its pointer files.") { paths, force }
            .Handles(parse => new CheckoutSettings(Named(parse, paths), parse.GetValue(force)), Checkout);
    }

    public static int Checkout(CheckoutSettings settings, CliContext cli)
    {
        using var repo = new DataRepository();
        cli.Output.Write(DataText.Restored(repo.Checkout(settings.Paths, settings.Force)));
        return MlopsCli.Ok;
    }

    private static Command TransferCommand(string name, string description)
    {
        var paths = Paths("Versioned paths; default: all.");
        return new Command(name, description) { paths, Remote, GlobalOptions.Json }
            .Handles(parse => new TransferSettings(name == "push", parse.GetValue(Remote), Named(parse, paths)), Transfer);
    }

    public static int Transfer(TransferSettings settings, CliContext cli)
    {
        using var repo = new DataRepository();
        var result = settings.Push ? repo.Push(settings.Remote, settings.Paths) : repo.Pull(settings.Remote, settings.Paths);
        cli.Write(DataJson.Transfer(result), DataText.Transfer(result, settings.Push ? "uploaded" : "downloaded"));
        return result.Unavailable.Count > 0 ? MlopsCli.UserError : MlopsCli.Ok;
    }

    private static Command GcCommand()
    {
        var revisions = new Option<string[]>("--rev") { Description = "Also keep what pointer files at this git revision need (repeat; default: HEAD)." };
        var allBranches = new Option<bool>("--all-branches") { Description = "Also keep what pointer files at the tip of every local and remote-tracking branch need." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be removed; remove nothing." };
        var grace = new Option<string?>("--grace")
        {
            Description = "Keep unreferenced objects that changed within this time (e.g. 30m, 2h, 7d, 0); default: 1h.",
        };
        var remote = new Option<string?>("--remote", "-r")
        {
            Description = "Collect on this remote (from mlops.yaml) instead of the cache; the store of --tracking-uri or MLOPS_TRACKING_URI counts too.",
        };
        var command = new Command("gc", "Remove cached objects that no pointer file, work-tree link, registered model or run artifact refers to.")
        {
            revisions, allBranches, dryRun, grace, remote, GlobalOptions.Json,
        };
        return command.Handles(parse => new GcSettings(
            parse.GetValue(revisions) ?? [],
            parse.GetValue(allBranches),
            parse.GetValue(dryRun),
            parse.GetValue(grace) is { } text ? Arguments.Duration(text, "--grace") : DataRepository.DefaultGcGrace,
            parse.GetValue(remote),
            parse.GetValue(GlobalOptions.TrackingUri)), Gc);
    }

    public static int Gc(GcSettings settings, CliContext cli)
    {
        using var repo = new DataRepository();
        if (settings.Remote is not null)
        {
            // On a remote the team store decides too: its runs and models keep their objects there.
            var remote = repo.GcRemote(settings.Remote, settings.Revisions, settings.TrackingUri, settings.DryRun, settings.Grace, settings.AllBranches);
            cli.Write(DataJson.RemoteGc(remote), DataText.RemoteGc(remote, settings.Grace));
            return MlopsCli.Ok;
        }
        // The stores that share the cache are the repository's own: gc asks them itself, whatever --tracking-uri says.
        var result = repo.Gc(settings.Revisions, dryRun: settings.DryRun, grace: settings.Grace, allBranches: settings.AllBranches);
        cli.Write(DataJson.Gc(result), DataText.Gc(result, settings.Grace));
        return MlopsCli.Ok;
    }

    private static IReadOnlyList<string>? Named(ParseResult parse, Argument<string[]> paths) =>
        parse.GetValue(paths) is { Length: > 0 } named ? named : null;
}
