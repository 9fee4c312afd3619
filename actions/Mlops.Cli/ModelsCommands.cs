using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli;

/// <summary><c>mlops models list|show|register|alias|download</c>.</summary>
internal static class ModelsCommands
{
    public static Command Create()
    {
        var models = new Command("models", "The model registry: numbered versions per model name, aliases, export bundles.");
        models.Add(List());
        models.Add(Show());
        models.Add(Register());
        models.Add(Alias());
        models.Add(Download());
        return models;
    }

    private static Command List()
    {
        var command = new Command("list", "List registered models with their latest version and aliases.") { GlobalOptions.Json };
        command.SetAction(parse =>
        {
            using var client = GlobalOptions.OpenReader(parse);
            var models = new ModelRegistry(client).List();
            var table = new TextTable("NAME", "LATEST", "ALIASES", "CREATED");
            foreach (var m in models)
            {
                table.Add(m.Name, m.LatestVersion.ToString(CultureInfo.InvariantCulture),
                    string.Join(", ", m.Aliases.Select(a => $"{a.Key}={a.Value}")), RunText.Time(m.CreationTime));
            }
            GlobalOptions.Write(parse, new JsonArray(models.Select(m => (JsonNode)new JsonObject
            {
                ["name"] = m.Name,
                ["latest_version"] = m.LatestVersion,
                ["aliases"] = new JsonObject(m.Aliases.Select(a => KeyValuePair.Create<string, JsonNode?>(a.Key, a.Value))),
            }).ToArray()), models.Count == 0 ? "No registered models.\n" : table.ToString());
            return MlopsCli.Ok;
        });
        return command;
    }

    private static Command Show()
    {
        var reference = new Argument<string>("model") { Description = "name (all versions), name/3 or name@alias (one version with its manifest)." };
        var command = new Command("show", "Show a model's versions, or one version's manifest.") { reference, GlobalOptions.Json };
        command.SetAction(parse =>
        {
            using var client = GlobalOptions.OpenReader(parse);
            var registry = new ModelRegistry(client);
            var text = parse.GetValue(reference)!;
            if (!text.Contains('/') && !text.Contains('@'))
            {
                var versions = registry.Versions(text);
                if (versions.Count == 0)
                {
                    throw new MlopsException($"No model named '{text}'.", "List models with `mlops models list`.");
                }
                var table = new TextTable("VERSION", "ALIASES", "RUN", "MODEL HASH", "REGISTERED");
                foreach (var v in versions)
                {
                    table.Add(v.Version.ToString(CultureInfo.InvariantCulture), string.Join(", ", v.Aliases), v.RunId?[..8], v.ModelHash[..19], RunText.Time(v.CreationTime));
                }
                GlobalOptions.Write(parse, new JsonArray(versions.Select(v => (JsonNode)Json(v)).ToArray()), table.ToString());
                return MlopsCli.Ok;
            }
            var version = registry.Get(text);
            var manifest = registry.Manifest(version);
            var json = Json(version);
            json["manifest"] = manifest;
            GlobalOptions.Write(parse, json, $"{version} (aliases: {string.Join(", ", version.Aliases.DefaultIfEmpty("none"))}), from run {version.RunId}\n{RunJson.Write(manifest)}\n");
            return MlopsCli.Ok;
        });
        return command;
    }

    private static Command Register()
    {
        var run = new Argument<string>("run-id") { Description = "The run that logged the model." };
        var name = new Argument<string>("name") { Description = "The model name, e.g. churn." };
        var artifact = new Option<string>("--artifact") { Description = "The model's artifact path in the run.", DefaultValueFactory = _ => ModelRegistry.DefaultArtifact };
        var alias = new Option<string?>("--alias") { Description = "Point this alias at the new version, e.g. candidate." };
        var command = new Command("register", "Register a run's ML.NET model as the next version of a model name.") { run, name, artifact, alias, GlobalOptions.Json };
        command.SetAction(parse =>
        {
            using var client = GlobalOptions.OpenClient(parse);
            var version = new ModelRegistry(client).Register(parse.GetValue(run)!, parse.GetValue(name)!, parse.GetValue(artifact)!, alias: parse.GetValue(alias));
            GlobalOptions.Write(parse, Json(version), $"Registered {version}{(version.Aliases.Count > 0 ? $" ({string.Join(", ", version.Aliases)})" : "")} from run {version.RunId}.\n");
            return MlopsCli.Ok;
        });
        return command;
    }

    private static Command Alias()
    {
        var name = new Argument<string>("name") { Description = "The model name." };
        var alias = new Argument<string>("alias") { Description = "The alias, e.g. staging or production." };
        var version = new Argument<int?>("version") { Description = "The version to point it at.", Arity = ArgumentArity.ZeroOrOne };
        var delete = new Option<bool>("--delete") { Description = "Remove the alias instead." };
        var command = new Command("alias", "Point an alias at a version (moving it atomically), or remove it.") { name, alias, version, delete };
        command.SetAction(parse =>
        {
            using var client = GlobalOptions.OpenClient(parse);
            var registry = new ModelRegistry(client);
            var (n, a) = (parse.GetValue(name)!, parse.GetValue(alias)!);
            if (parse.GetValue(delete))
            {
                registry.DeleteAlias(n, a);
                parse.InvocationConfiguration.Output.WriteLine($"Alias {n}@{a} removed.");
                return MlopsCli.Ok;
            }
            var v = parse.GetValue(version) ?? throw new MlopsException("Which version should the alias point at?", $"mlops models alias {n} {a} <version>");
            registry.SetAlias(n, a, v);
            parse.InvocationConfiguration.Output.WriteLine($"{n}@{a} -> version {v}.");
            return MlopsCli.Ok;
        });
        return command;
    }

    private static Command Download()
    {
        var reference = new Argument<string>("model") { Description = "name, name/3 or name@alias." };
        var to = new Option<string?>("--to") { Description = "The folder to write the bundle to; default: ./<name>-<version>." };
        var command = new Command("download", "Write a version's export bundle: model.zip, manifest.json, sample-input.json.") { reference, to };
        command.SetAction(parse =>
        {
            using var client = GlobalOptions.OpenReader(parse);
            var registry = new ModelRegistry(client);
            var version = registry.Get(parse.GetValue(reference)!);
            var folder = registry.Export($"{version.Name}/{version.Version}", parse.GetValue(to) ?? $"{version.Name}-{version.Version}");
            parse.InvocationConfiguration.Output.WriteLine($"Exported {version} to {folder}");
            return MlopsCli.Ok;
        });
        return command;
    }

    private static JsonObject Json(ModelVersion v) => new()
    {
        ["name"] = v.Name,
        ["version"] = v.Version,
        ["run_id"] = v.RunId,
        ["aliases"] = new JsonArray(v.Aliases.Select(a => (JsonNode?)a).ToArray()),
        ["model_hash"] = v.ModelHash,
        ["manifest_hash"] = v.ManifestHash,
        ["sample_hash"] = v.SampleHash,
        ["creation_time"] = v.CreationTime.ToUnixTimeMilliseconds(),
    };

}
