using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MlopsNotebooks.Versioning;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli;

/// <summary><c>mlops data add|status|diff|checkout|push|pull|gc</c> and <c>mlops remote add|list</c>.</summary>
internal static class DataCommands
{
    private static readonly Option<string?> Remote = new("--remote", "-r") { Description = "Remote name from mlops.yaml; default: data.remote." };

    private static Argument<string[]> Paths(string description) => new("paths") { Description = description, Arity = ArgumentArity.ZeroOrMore };

    public static IEnumerable<Command> Create()
    {
        var data = new Command("data", "Version data and models: content-addressed cache, pointer files in git, remotes.");
        data.Add(Add());
        data.Add(Status());
        data.Add(Diff());
        data.Add(Checkout());
        data.Add(Transfer("push", "Upload the data of the pointer files (all, or those named) that the remote lacks."));
        data.Add(Transfer("pull", "Download the data of the pointer files that the cache lacks, then restore missing paths."));
        data.Add(Gc());
        yield return data;
        yield return RemoteCommand();
    }

    private static Command Add()
    {
        var paths = new Argument<string[]>("paths") { Description = "Files or folders to version.", Arity = ArgumentArity.OneOrMore };
        var link = new Option<LinkType?>("--link") { Description = "How the work tree shares the cache: copy (default), reflink, hardlink, symlink." };
        var command = new Command("add", "Version files or folders: cache their content and write <path>.mlops beside each, to commit.") { paths, link, GlobalOptions.Json };
        command.SetAction(parse =>
        {
            using var repo = new DataRepository();
            var versions = parse.GetValue(paths)!.Select(p => repo.Add(p, parse.GetValue(link))).ToList();
            GlobalOptions.Write(parse, new JsonArray(versions.Select(v => (JsonNode)Json(v)).ToArray()),
                string.Concat(versions.Select(v => $"{v.Path}: {v.Hash} ({Files(v)}, {Bytes(v.Size)}) -> {v.Path}.mlops\n"))
                + "Commit the .mlops pointer files (and .gitignore) to git; `mlops data push` shares the data.\n");
            return MlopsCli.Ok;
        });
        return command;
    }

    private static Command Status()
    {
        var paths = Paths("Versioned paths to check; default: every pointer file in the repository.");
        var command = new Command("status", "Show which versioned data changed since it was added, is missing, or is not in the cache.") { paths, GlobalOptions.Json };
        command.SetAction(parse =>
        {
            using var repo = new DataRepository();
            var statuses = repo.Status(Named(parse, paths));
            var table = new TextTable("PATH", "STATE", "CACHE", "RECORDED");
            foreach (var s in statuses)
            {
                table.Add(s.Path, s.State.ToString().ToLowerInvariant(), s.InCache ? "yes" : "missing (pull)", s.Recorded.Hash.ToString()[..19]);
                foreach (var file in s.ChangedFiles)
                {
                    table.Add("  " + file, "", "", "");
                }
            }
            GlobalOptions.Write(parse, new JsonArray(statuses.Select(s => (JsonNode)new JsonObject
            {
                ["path"] = s.Path,
                ["state"] = s.State.ToString().ToLowerInvariant(),
                ["in_cache"] = s.InCache,
                ["recorded"] = Json(s.Recorded),
                ["changed_files"] = new JsonArray(s.ChangedFiles.Select(f => (JsonNode?)f).ToArray()),
            }).ToArray()), statuses.Count == 0 ? "No versioned data (add some with `mlops data add <path>`).\n" : table.ToString());
            return MlopsCli.Ok;
        });
        return command;
    }

    private static Command Diff()
    {
        var revision = new Argument<string>("revision") { Description = "A git revision to compare with.", DefaultValueFactory = _ => "HEAD" };
        var command = new Command("diff", "Show versioned data whose pointer differs between a git revision (default HEAD) and the work tree.") { revision, GlobalOptions.Json };
        command.SetAction(parse =>
        {
            using var repo = new DataRepository();
            var changes = repo.Diff(parse.GetValue(revision)!);
            var text = new System.Text.StringBuilder();
            foreach (var c in changes)
            {
                text.Append(CultureInfo.InvariantCulture, $"{c.Kind.ToString().ToLowerInvariant()}: {c.Path}  {c.Before?.Hash.ToString()[..19] ?? "-"} -> {c.After?.Hash.ToString()[..19] ?? "-"}\n");
                foreach (var file in c.ChangedFiles)
                {
                    text.Append("  ").Append(file).Append('\n');
                }
            }
            GlobalOptions.Write(parse, new JsonArray(changes.Select(c => (JsonNode)new JsonObject
            {
                ["path"] = c.Path,
                ["change"] = c.Kind.ToString().ToLowerInvariant(),
                ["before"] = c.Before is null ? null : Json(c.Before),
                ["after"] = c.After is null ? null : Json(c.After),
                ["changed_files"] = new JsonArray(c.ChangedFiles.Select(f => (JsonNode?)f).ToArray()),
            }).ToArray()), changes.Count == 0 ? "No data changes.\n" : text.ToString());
            return MlopsCli.Ok;
        });
        return command;
    }

    private static Command Checkout()
    {
        var paths = Paths("Versioned paths to restore; default: all.");
        var force = new Option<bool>("--force") { Description = "Overwrite data that differs from its pointer file (its changes are lost)." };
        var command = new Command("checkout", "Restore versioned data from the cache to match its pointer files.") { paths, force };
        command.SetAction(parse =>
        {
            using var repo = new DataRepository();
            var restored = repo.Checkout(Named(parse, paths), parse.GetValue(force));
            parse.InvocationConfiguration.Output.Write(restored.Count == 0
                ? "Everything already matches its pointer file.\n"
                : string.Concat(restored.Select(v => $"restored {v.Path} ({v.Hash.ToString()[..19]})\n")));
            return MlopsCli.Ok;
        });
        return command;
    }

    private static Command Transfer(string name, string description)
    {
        var paths = Paths("Versioned paths; default: all.");
        var command = new Command(name, description) { paths, Remote, GlobalOptions.Json };
        command.SetAction(parse =>
        {
            using var repo = new DataRepository();
            var result = name == "push"
                ? repo.Push(parse.GetValue(Remote), Named(parse, paths))
                : repo.Pull(parse.GetValue(Remote), Named(parse, paths));
            var verb = name == "push" ? "uploaded" : "downloaded";
            GlobalOptions.Write(parse, new JsonObject
            {
                ["transferred"] = result.Transferred,
                ["already_there"] = result.AlreadyThere,
                ["bytes"] = result.Bytes,
                ["unavailable"] = new JsonArray(result.Unavailable.Select(h => (JsonNode?)h.ToString()).ToArray()),
            }, $"{verb} {result.Transferred} objects ({Bytes(result.Bytes)}); {result.AlreadyThere} already there.\n"
                + (result.Unavailable.Count > 0 ? $"{result.Unavailable.Count} objects are in neither place: re-add their data where it exists.\n" : ""));
            return result.Unavailable.Count > 0 ? MlopsCli.UserError : MlopsCli.Ok;
        });
        return command;
    }

    private static Command Gc()
    {
        var revisions = new Option<string[]>("--rev") { Description = "Also keep what pointer files at this git revision need (repeat; default: HEAD)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be removed; remove nothing." };
        var grace = new Option<string?>("--grace")
        {
            Description = "Keep unreferenced objects that changed within this time (e.g. 30m, 2h, 7d, 0); default: 1h.",
        };
        var command = new Command("gc", "Remove cached objects that no pointer file, work-tree link, registered model or run artifact refers to.")
        {
            revisions, dryRun, grace, GlobalOptions.Json,
        };
        command.SetAction(parse =>
        {
            var keep = parse.GetValue(grace) is { } text ? Duration(text, "--grace") : DataRepository.DefaultGcGrace;
            using var repo = new DataRepository();
            // The stores that share the cache are the repository's own: gc asks them itself, whatever --tracking-uri says.
            var result = repo.Gc(parse.GetValue(revisions), dryRun: parse.GetValue(dryRun), grace: keep);
            var verb = result.DryRun ? "would remove" : "removed";
            GlobalOptions.Write(parse, new JsonObject
            {
                ["dry_run"] = result.DryRun,
                ["removed"] = new JsonArray(result.Removed.Select(h => (JsonNode?)h.ToString()).ToArray()),
                ["bytes"] = result.Bytes,
                ["kept"] = result.Kept,
                ["kept_young"] = result.Young,
                ["temporary_files"] = result.Temporary,
            }, string.Concat(result.DryRun ? result.Removed.Select(h => $"{h}\n") : [])
                + $"{verb} {result.Removed.Count} objects and {result.Temporary} temporary files ({Bytes(result.Bytes)}); "
                + $"kept {result.Kept} in use and {result.Young} unreferenced but changed within {keep}.\n");
            return MlopsCli.Ok;
        });
        return command;
    }

    /// <summary>A duration as people write one: 0, 90s, 30m, 2h, 7d.</summary>
    private static TimeSpan Duration(string text, string what)
    {
        var value = text.Trim();
        var unit = value.Length > 0 && char.IsAsciiLetter(value[^1]) ? value[^1] : 's';
        var number = char.IsAsciiLetter(unit) && value.Length > 0 && char.IsAsciiLetter(value[^1]) ? value[..^1] : value;
        if (!int.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            || unit is not ('s' or 'm' or 'h' or 'd') || n > 100_000)
        {
            throw new MlopsException($"{what} '{text}' is not a duration.", "Write a whole number with s, m, h or d: 0, 30m, 2h, 7d.");
        }
        return unit switch { 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), 'd' => TimeSpan.FromDays(n), _ => TimeSpan.FromSeconds(n) };
    }

    private static Command RemoteCommand()
    {
        var name = new Argument<string>("name") { Description = "A name for the remote, e.g. shared." };
        var url = new Argument<string>("url") { Description = "A folder (a mounted share, another disk)." };
        var makeDefault = new Option<bool>("--default") { Description = "Make it the default remote (the first one always is)." };
        var add = new Command("add", "Add a data remote to mlops.yaml.") { name, url, makeDefault };
        add.SetAction(parse =>
        {
            using var repo = new DataRepository();
            repo.AddRemote(parse.GetValue(name)!, parse.GetValue(url)!, parse.GetValue(makeDefault));
            parse.InvocationConfiguration.Output.WriteLine($"Remote '{parse.GetValue(name)}' added to {ProjectConfig.FileName}; commit it.");
            return MlopsCli.Ok;
        });
        var list = new Command("list", "List data remotes.");
        list.SetAction(parse =>
        {
            using var repo = new DataRepository();
            var table = new TextTable("NAME", "URL", "DEFAULT");
            foreach (var (n, u) in repo.Config.Remotes)
            {
                table.Add(n, u, n == repo.Config.DefaultRemote ? "yes" : "");
            }
            parse.InvocationConfiguration.Output.Write(table.ToString());
            return MlopsCli.Ok;
        });
        return new Command("remote", "Data remotes: where `mlops data push` and `pull` share objects.") { add, list };
    }

    private static IEnumerable<string>? Named(ParseResult parse, Argument<string[]> paths) =>
        parse.GetValue(paths) is { Length: > 0 } named ? named : null;

    private static JsonObject Json(DataVersion v) => new()
    {
        ["path"] = v.Path,
        ["hash"] = v.Hash.ToString(),
        ["size"] = v.Size,
        ["files"] = v.Files,
        ["type"] = v.IsDirectory ? "directory" : "file",
    };


    private static string Files(DataVersion v) => v.IsDirectory ? $"{v.Files} files" : "1 file";

    internal static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.0} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.00} GiB",
    };
}
