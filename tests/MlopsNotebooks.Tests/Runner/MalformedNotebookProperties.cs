using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Runner;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Runner;

/// <summary>
/// Generated malformed notebooks: a valid .ipynb with one part replaced, removed, repeated or cut off, and .dib text made
/// of odd cell markers. The parsers answer each with a notebook or a MlopsException, never anything else; the command
/// answers each with exit 0 or 1, never 70, and leaves no partial file.
/// </summary>
public sealed class MalformedNotebookProperties
{
    private const string Valid = """
        {
          "cells": [
            {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": ["# Title\n", "text"]},
            {"cell_type": "code", "id": "c1", "execution_count": 1, "metadata": {"tags": ["parameters"], "dotnet_interactive": {"language": "csharp"}},
             "outputs": [], "source": "int epochs = 3;"},
            {"cell_type": "code", "id": "c2", "execution_count": null, "metadata": {"polyglot_notebook": {"kernelName": "csharp"}},
             "outputs": [], "source": ["var x = epochs;\n", "x"]},
            {"cell_type": "raw", "metadata": {}, "source": ""}
          ],
          "metadata": {
            "kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"},
            "language_info": {"name": "C#"},
            "polyglot_notebook": {"defaultKernelName": "csharp", "kernelInfo": {"items": [{"name": "csharp", "aliases": []}]}}
          },
          "nbformat": 4,
          "nbformat_minor": 5
        }
        """;

    /// <summary>Where a mutation lands: every part of the valid notebook above that the kit reads.</summary>
    private static readonly string[] Paths =
    [
        "nbformat", "nbformat_minor", "metadata", "metadata.kernelspec", "metadata.kernelspec.language", "metadata.language_info",
        "metadata.language_info.name", "metadata.polyglot_notebook", "metadata.polyglot_notebook.defaultKernelName",
        "metadata.polyglot_notebook.kernelInfo", "cells", "cells.0", "cells.1", "cells.1.cell_type", "cells.1.source", "cells.2.source",
        "cells.2.source.1", "cells.1.metadata", "cells.1.metadata.tags", "cells.1.metadata.tags.0", "cells.1.metadata.dotnet_interactive",
        "cells.1.metadata.dotnet_interactive.language", "cells.2.metadata.polyglot_notebook", "cells.2.metadata.polyglot_notebook.kernelName",
        "cells.1.id", "cells.1.execution_count", "cells.1.outputs", "cells.3.cell_type",
    ];

    private static Gen<JsonNode?> Value(int depth)
    {
        var scalar = Gen.OneOf(
            Gen.Constant<JsonNode?>(null),
            Gen.Elements<JsonNode?>(JsonValue.Create(true), JsonValue.Create(0), JsonValue.Create(-1), JsonValue.Create(4), JsonValue.Create(4.5),
                JsonNode.Parse("1e300"), JsonValue.Create(long.MaxValue), JsonValue.Create(""), JsonValue.Create("csharp"),
                JsonValue.Create("fsharp"), JsonValue.Create("code"), JsonValue.Create("parameters"), JsonValue.Create("#!csharp\n"),
                JsonValue.Create("\u0000\u202e\ud83d\ude00")));
        if (depth == 0)
        {
            return scalar;
        }
        var array = Gen.ListOf(Value(depth - 1), 3).Select(items => (JsonNode?)new JsonArray(items.Select(i => i?.DeepClone()).ToArray()));
        var obj = Gen.ListOf(Gen.Zip(Gen.Elements("language", "tags", "name", "items", "source", "x"), Value(depth - 1)), 3)
            .Select(pairs => (JsonNode?)new JsonObject(pairs.DistinctBy(p => p.Item1).Select(p => KeyValuePair.Create(p.Item1, p.Item2?.DeepClone()))));
        return Gen.Frequency((4, scalar), (1, array), (1, obj));
    }

    /// <summary>One change to the valid notebook: a part replaced or removed, a key repeated, or the text cut short.</summary>
    private static Gen<string> MalformedIpynb() => Gen.OneOf(
        Gen.Zip(Gen.Elements(Paths), Value(2)).Select(change => Replace(change.Item1, change.Item2)),
        Gen.Elements(Paths).Select(path => Replace(path, null, remove: true)),
        Gen.Elements(Paths).Select(path => RepeatKey(path)),
        Gen.Choose(0, Valid.Length - 1).Select(length => Valid[..length]));

    private static string Replace(string path, JsonNode? value, bool remove = false)
    {
        var root = JsonNode.Parse(Valid)!;
        var parts = path.Split('.');
        var parent = parts[..^1].Aggregate(root, (node, part) => int.TryParse(part, out var i) ? node[i]! : node[part]!);
        var last = parts[^1];
        if (parent is JsonArray array && int.TryParse(last, out var index))
        {
            if (remove)
            {
                array.RemoveAt(index);
            }
            else
            {
                array[index] = value?.DeepClone();
            }
        }
        else if (remove)
        {
            parent.AsObject().Remove(last);
        }
        else
        {
            parent[last] = value?.DeepClone();
        }
        return root.ToJsonString();
    }

    // The last part's key written twice, the second time with another value.
    private static string RepeatKey(string path)
    {
        var key = path.Split('.')[^1];
        if (int.TryParse(key, out _))
        {
            return Valid;
        }
        var text = JsonNode.Parse(Valid)!.ToJsonString();
        var at = text.IndexOf($"\"{key}\":", StringComparison.Ordinal);
        return at < 0 ? text : text.Insert(at, $"\"{key}\":7,");
    }

    private static readonly string[] DibLines =
    [
        "#!csharp", "#!c#", "#!meta", "#!markdown", "#!md", "#!fsharp", "#!pwsh", "#!html", "#!value", "#!mlops help", "#!time", "#!",
        "#!!", "#! csharp", "#!CSHARP", "#!kusto", "// parameters", "int epochs = 3;", "var x = 1;", "x", "", "   ", "\r", "{}", "[]", "null",
        "{\"kernelInfo\": {\"items\": [{\"name\": \"kusto\", \"aliases\": [1, null, \"k\"]}]}}", "{\"kernelInfo\": \"x\"}",
        "{\"kernelInfo\": {\"items\": [null, 3, {\"name\": []}]}}", "{\"a\": 1, \"a\": 2}", "{\"kernelInfo\": {\"items\": [{\"name\": \"q\", \"name\": \"r\"}]}}",
        "{\"unclosed\": ", "\u202e\u0000", "#!meta {\"x\": 1}",
    ];

    /// <summary>.dib text: lines drawn from markers, meta JSON of every shape, code and blanks, joined by \n or \r\n.</summary>
    private static Gen<string> MalformedDib() =>
        Gen.Zip(Gen.ListOf(Gen.Elements(DibLines), 12), Gen.Elements("\n", "\r\n")).Select(t => string.Join(t.Item2, t.Item1));

    /// <summary>Parses, finds the parameters cell and writes both formats: each either works or is a MlopsException.</summary>
    private static bool OnlyMlopsExceptions(Func<Notebook> parse)
    {
        try
        {
            var notebook = parse();
            NotebookParameters.FindCell(notebook);
            Ipynb.Parse(Ipynb.Write(notebook), "written.ipynb");
            Dib.Parse(Dib.Write(notebook), "written.dib");
            return true;
        }
        catch (MlopsException e)
        {
            return e.Message.Length > 0 && e.Hint is not null;
        }
    }

    [Property(MaxTest = 1000)]
    public Property The_ipynb_parser_answers_any_malformed_notebook_with_a_notebook_or_a_message() =>
        Prop.ForAll(MalformedIpynb().ToArbitrary(), text => OnlyMlopsExceptions(() => Ipynb.Parse(text, "generated.ipynb")));

    [Property(MaxTest = 1000)]
    public Property The_dib_parser_answers_any_odd_markers_with_a_notebook_or_a_message() =>
        Prop.ForAll(MalformedDib().ToArbitrary(), text => OnlyMlopsExceptions(() => Dib.Parse(text, "generated.dib")));

    [Property(MaxTest = 1000)]
    public Property A_dib_read_back_after_writing_has_the_same_cells() =>
        Prop.ForAll(MalformedDib().ToArbitrary(), text =>
        {
            Notebook parsed;
            try
            {
                parsed = Dib.Parse(text, "generated.dib");
            }
            catch (MlopsException)
            {
                return true;
            }
            var again = Dib.Parse(Dib.Write(parsed), "written.dib");
            return parsed.Cells.Select(c => (c.Language, c.Source)).SequenceEqual(again.Cells.Select(c => (c.Language, c.Source)));
        });

    /// <summary>
    /// Found by the property above: a kernel that only #!meta declares (with aliases that are not strings) right below
    /// the #!meta cell that writing puts first; the first reading took its marker for part of the JSON.
    /// </summary>
    [Fact]
    public void A_dib_whose_meta_declares_a_kernel_used_right_below_it_reads_back_after_writing()
    {
        const string text = "#!kusto\n\n#!CSHARP\n#!kusto\n\n#!CSHARP\n{\"kernelInfo\": {\"items\": [null, 3, {\"name\": []}]}}\n#!kusto\n[]\n{\"a\": 1, \"a\": 2}\n"
            + "#!meta\n{\"kernelInfo\": {\"items\": [{\"name\": \"kusto\", \"aliases\": [1, null, \"k\"]}]}}";
        var parsed = Dib.Parse(text, "generated.dib");
        var again = Dib.Parse(Dib.Write(parsed), "written.dib");
        Assert.Equal(parsed.Cells.Select(c => (c.Language, c.Source)), again.Cells.Select(c => (c.Language, c.Source)));
        Assert.Contains(again.Cells, c => c.Language == "kusto" && c.Source.Contains("\"a\": 2", StringComparison.Ordinal));
    }

    /// <summary>A dozen generated notebooks of each format through the real command (each run is a process).</summary>
    [Property(MaxTest = 12)]
    public Property The_command_never_exits_70_nor_leaves_a_partial_file() =>
        Prop.ForAll(Gen.OneOf(MalformedIpynb().Select(t => (t, ".ipynb")), MalformedDib().Select(t => (t, ".dib"))).ToArbitrary(), input =>
        {
            using var dir = new TempDirectory();
            var notebook = dir.File("generated" + input.Item2);
            File.WriteAllText(notebook, input.Item1);
            var output = dir.File("out" + input.Item2);
            var result = dir.File("result.json");
            var (code, _, stderr) = Programs.Run(Programs.Mlops, ["notebook", "run", notebook, "--output", output, "--result", result, "--cell-timeout", "60"],
                workingDirectory: dir.Path, environment: new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = dir.File("mlops.db") });
            var leftOver = Directory.GetFiles(dir.Path).Select(Path.GetFileName).Where(f => f!.Contains(".tmp", StringComparison.Ordinal) || f.StartsWith(".mlops-probe", StringComparison.Ordinal));
            var complete = !File.Exists(output) || (input.Item2 == ".ipynb" ? Succeeds(() => Ipynb.Read(output)) : Succeeds(() => Dib.Read(output)));
            return (code is 0 or 1 && !stderr.Contains("internal error", StringComparison.Ordinal) && !leftOver.Any() && complete)
                .Label($"exit {code}, left {string.Join(", ", leftOver)}, complete {complete}: {stderr}");
        });

    private static bool Succeeds(Action read)
    {
        try
        {
            read();
            return true;
        }
        catch (MlopsException)
        {
            return false;
        }
    }
}
