using System.CommandLine;
using MlopsNotebooks.Versioning;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli.Data;

/// <summary><c>mlops remote add|list</c>: the data remotes of mlops.yaml.</summary>
internal static class RemoteCommands
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "A name for the remote, e.g. shared." };
        var url = new Argument<string>("url") { Description = "A folder (a mounted share, another disk), azure://container/prefix or s3://bucket/prefix." };
        var makeDefault = new Option<bool>("--default") { Description = "Make it the default remote (the first one always is)." };
        var add = new Command("add", "Add a data remote to mlops.yaml.") { name, url, makeDefault }
            .Handles(parse => new AddRemoteSettings(parse.GetValue(name)!, parse.GetValue(url)!, parse.GetValue(makeDefault)), Add);
        var list = new Command("list", "List data remotes.").Handles(_ => new ListRemotesSettings(), List);
        return new Command("remote", "Data remotes: where `mlops data push` and `pull` share objects.") { add, list };
    }

    public static int Add(AddRemoteSettings settings, CliContext cli)
    {
        using var repo = new DataRepository();
        repo.AddRemote(settings.Name, settings.Url, settings.MakeDefault);
        cli.Output.WriteLine($"Remote '{settings.Name}' added to {ProjectConfig.FileName}; commit it.");
        return MlopsCli.Ok;
    }

    public static int List(ListRemotesSettings settings, CliContext cli)
    {
        using var repo = new DataRepository();
        cli.Output.Write(DataText.Remotes(repo.Config.Remotes, repo.Config.DefaultRemote));
        return MlopsCli.Ok;
    }
}
