using System.CommandLine;
using MlopsNotebooks.Validation;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Cli.Data;

/// <summary><c>mlops data schema init data.csv --schema data.schema.yaml</c>: a first schema from the current data.</summary>
internal static class SchemaCommands
{
    public static Command Create()
    {
        var data = new Argument<string>("data") { Description = "The CSV file." };
        var schema = new Option<string?>("--schema") { Description = "Where to write it; default <data without .csv>.schema.yaml." };
        var force = new Option<bool>("--force") { Description = "Replace an existing schema." };
        var init = new Command("init", "Write a first data schema from the current data: types, nulls, ranges, categories, row count.") { data, schema, force }
            .Handles(parse => new SchemaInitSettings(parse.GetValue(data)!, parse.GetValue(schema), parse.GetValue(force)), Init);
        return new Command("schema", "Data schemas: the expectations mlops validate checks.") { init };
    }

    public static int Init(SchemaInitSettings settings, CliContext cli)
    {
        var target = settings.Schema ?? Path.ChangeExtension(settings.Data, null) + ".schema.yaml";
        if (File.Exists(target) && !settings.Force)
        {
            throw new ConflictException($"{target} exists already.", "Edit it, or pass --force to write it again from the data.");
        }
        AtomicFile.WriteAllText(target, DataSchema.Infer(settings.Data).ToYaml());
        cli.Output.WriteLine($"wrote {target}");
        return MlopsCli.Ok;
    }
}

/// <summary><c>mlops data schema init</c>.</summary>
internal sealed record SchemaInitSettings(string Data, string? Schema, bool Force);
