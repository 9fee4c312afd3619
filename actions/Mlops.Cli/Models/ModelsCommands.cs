using System.CommandLine;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli.Models;

/// <summary><c>mlops models list|show|register|alias|download|predict</c>.</summary>
internal static class ModelsCommands
{
    public static Command Create()
    {
        var models = new Command("models", "The model registry: numbered versions per model name, aliases, export bundles.");
        models.Add(new Command("list", "List registered models with their latest version and aliases.") { GlobalOptions.Json }
            .Handles(_ => new ListModelsSettings(), List));
        models.Add(ShowCommand());
        models.Add(RegisterCommand());
        models.Add(AliasCommand());
        models.Add(DownloadCommand());
        models.Add(PredictCommand.Create());
        return models;
    }

    public static int List(ListModelsSettings settings, CliContext cli)
    {
        using var client = cli.OpenReader();
        var models = new ModelRegistry(client).List();
        cli.Write(ModelJson.Models(models), ModelText.Models(models));
        return MlopsCli.Ok;
    }

    private static Command ShowCommand()
    {
        var reference = new Argument<string>("model") { Description = "name (all versions), name/3 or name@alias (one version with its manifest)." };
        return new Command("show", "Show a model's versions, or one version's manifest.") { reference, GlobalOptions.Json }
            .Handles(parse => new ShowModelSettings(parse.GetValue(reference)!), Show);
    }

    public static int Show(ShowModelSettings settings, CliContext cli)
    {
        using var client = cli.OpenReader();
        var registry = new ModelRegistry(client);
        var text = settings.Reference;
        if (!text.Contains('/') && !text.Contains('@'))
        {
            var versions = registry.Versions(text);
            if (versions.Count == 0)
            {
                throw new NotFoundException($"No model named '{text}'.", "List models with `mlops models list`.");
            }
            cli.Write(ModelJson.Versions(versions), ModelText.Versions(versions));
            return MlopsCli.Ok;
        }
        var version = registry.Get(text);
        var manifest = registry.Manifest(version);
        cli.Write(ModelJson.Version(version, manifest), ModelText.Version(version, manifest));
        return MlopsCli.Ok;
    }

    private static Command RegisterCommand()
    {
        var run = new Argument<string>("run-id") { Description = "The run that logged the model." };
        var name = new Argument<string>("name") { Description = "The model name, e.g. churn." };
        var artifact = new Option<string>("--artifact") { Description = "The model's artifact path in the run.", DefaultValueFactory = _ => ModelRegistry.DefaultArtifact };
        var alias = new Option<string?>("--alias") { Description = "Point this alias at the new version, e.g. candidate." };
        var reference = new Option<string?>("--reference") { Description = "The training data (a CSV) to profile as the version's reference for drift; default: the run's recorded CSV input that has the model's columns." };
        return new Command("register", "Register a run's ML.NET model as the next version of a model name.") { run, name, artifact, alias, reference, GlobalOptions.Json }
            .Handles(parse => new RegisterModelSettings(parse.GetValue(run)!, parse.GetValue(name)!, parse.GetValue(artifact)!, parse.GetValue(alias), parse.GetValue(reference)), Register);
    }

    public static int Register(RegisterModelSettings settings, CliContext cli)
    {
        using var client = cli.OpenClient();
        if (settings.Reference is { } csv && !File.Exists(csv))
        {
            throw new NotFoundException($"The reference data {csv} does not exist.", "Give the CSV the model was trained on.");
        }
        var version = new ModelRegistry(client).Register(settings.RunId, settings.Name, settings.Artifact, alias: settings.Alias, referenceData: settings.Reference);
        cli.Write(ModelJson.Version(version), ModelText.Registered(version));
        return MlopsCli.Ok;
    }

    private static Command AliasCommand()
    {
        var name = new Argument<string>("name") { Description = "The model name." };
        var alias = new Argument<string>("alias") { Description = "The alias, e.g. staging or production." };
        var version = new Argument<int?>("version") { Description = "The version to point it at.", Arity = ArgumentArity.ZeroOrOne };
        var delete = new Option<bool>("--delete") { Description = "Remove the alias instead." };
        return new Command("alias", "Point an alias at a version (moving it atomically), or remove it.") { name, alias, version, delete }
            .Handles(parse => new ModelAliasSettings(parse.GetValue(name)!, parse.GetValue(alias)!, parse.GetValue(version), parse.GetValue(delete)), Alias);
    }

    public static int Alias(ModelAliasSettings settings, CliContext cli)
    {
        var (n, a) = (settings.Name, settings.Alias);
        // Checked before the store is opened, which would create it.
        var v = settings.Delete ? 0
            : settings.Version ?? throw new MlopsException("Which version should the alias point at?", $"mlops models alias {n} {a} <version>");
        using var client = cli.OpenClient();
        var registry = new ModelRegistry(client);
        if (settings.Delete)
        {
            registry.DeleteAlias(n, a);
            cli.Output.WriteLine($"Alias {n}@{a} removed.");
            return MlopsCli.Ok;
        }
        registry.SetAlias(n, a, v);
        cli.Output.WriteLine($"{n}@{a} -> version {v}.");
        return MlopsCli.Ok;
    }

    private static Command DownloadCommand()
    {
        var reference = new Argument<string>("model") { Description = "name, name/3 or name@alias." };
        var to = new Option<string?>("--to") { Description = "The folder to write the bundle to; default: ./<name>-<version>." };
        return new Command("download", "Write a version's export bundle: model.zip, manifest.json, sample-input.json.") { reference, to }
            .Handles(parse => new DownloadModelSettings(parse.GetValue(reference)!, parse.GetValue(to)), Download);
    }

    public static int Download(DownloadModelSettings settings, CliContext cli)
    {
        using var client = cli.OpenReader();
        var registry = new ModelRegistry(client);
        var version = registry.Get(settings.Reference);
        var folder = registry.Export($"{version.Name}/{version.Version}", settings.To ?? $"{version.Name}-{version.Version}");
        cli.Output.WriteLine($"Exported {version} to {folder}");
        return MlopsCli.Ok;
    }
}
