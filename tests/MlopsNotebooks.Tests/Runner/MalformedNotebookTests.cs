using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Runner;

/// <summary>A notebook is someone else's file: every malformed one is a message naming what is wrong, never a crash.</summary>
public sealed class MalformedNotebookTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Kernel = "\"metadata\": {\"kernelspec\": {\"name\": \".net-csharp\", \"language\": \"C#\"}}";

    private static string Cell(string fields) => $"{{\"cells\": [{{\"cell_type\": \"code\", \"source\": \"1\", {fields}}}], {Kernel}, \"nbformat\": 4, \"nbformat_minor\": 5}}";

    [Theory]
    [InlineData("\"metadata\": {\"tags\": [1]}", "cell 1's metadata.tags is a list with other things than strings")]
    [InlineData("\"metadata\": {\"tags\": \"parameters\"}", "cell 1's metadata.tags is a string, not a list of strings")]
    [InlineData("\"metadata\": {\"tags\": null}", "cell 1's metadata.tags is null")]
    [InlineData("\"metadata\": {\"tags\": [null]}", "cell 1's metadata.tags is a list with other things than strings")]
    [InlineData("\"id\": 3", "cell 1's id is a number, not a string")]
    [InlineData("\"id\": null", "cell 1's id is null, not a string")]
    [InlineData("\"metadata\": {\"dotnet_interactive\": {\"language\": 1}}", "cell 1's metadata.dotnet_interactive.language is a number")]
    [InlineData("\"metadata\": {\"dotnet_interactive\": {\"language\": null}}", "cell 1's metadata.dotnet_interactive.language is null")]
    [InlineData("\"metadata\": {\"dotnet_interactive\": \"csharp\"}", "cell 1's metadata.dotnet_interactive is a string, not an object")]
    [InlineData("\"metadata\": {\"polyglot_notebook\": {\"kernelName\": [1]}}", "cell 1's metadata.polyglot_notebook.kernelName is a list")]
    [InlineData("\"metadata\": \"x\"", "cell 1's metadata is a string, not an object")]
    [InlineData("\"execution_count\": 1.5", "cell 1's execution_count 1.5 is not a whole number")]
    public void A_cell_field_of_the_wrong_type_is_refused_naming_the_cell_and_field(string fields, string message)
        => AssertRefused(Cell(fields), message);

    [Theory]
    [InlineData("{\"cells\": [{\"cell_type\": \"code\", \"source\": 5, \"metadata\": {}}], \"metadata\": {}, \"nbformat\": 4}", "cell 1's source is a number")]
    [InlineData("{\"cells\": [{\"cell_type\": \"code\", \"source\": [\"a\", 1], \"metadata\": {}}], \"metadata\": {}, \"nbformat\": 4}", "cell 1's source is a list with other things than strings")]
    [InlineData("{\"cells\": [{\"cell_type\": \"code\", \"source\": null, \"metadata\": {}}], \"metadata\": {}, \"nbformat\": 4}", "cell 1's source is null")]
    [InlineData("{\"cells\": [{\"cell_type\": 1, \"source\": \"1\"}], \"metadata\": {}, \"nbformat\": 4}", "cell 1's cell_type is a number, not a string")]
    [InlineData("{\"cells\": [{\"cell_type\": \"code\", \"cell_type\": \"raw\", \"source\": \"1\"}], \"metadata\": {}, \"nbformat\": 4}", "the key 'cell_type' appears twice in cells[0]")]
    [InlineData("{\"cells\": [], \"metadata\": {\"kernelspec\": {\"language\": 4}}, \"nbformat\": 4}", "metadata.kernelspec.language is a number")]
    [InlineData("{\"cells\": [], \"metadata\": {\"kernelspec\": \"csharp\"}, \"nbformat\": 4}", "metadata.kernelspec is a string, not an object")]
    [InlineData("{\"cells\": [], \"metadata\": {\"language_info\": {\"name\": 4}}, \"nbformat\": 4}", "metadata.language_info.name is a number")]
    [InlineData("{\"cells\": [], \"metadata\": {}, \"nbformat\": 4.5}", "it is nbformat 4.5")]
    [InlineData("{\"cells\": [], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 1e30}", "its nbformat_minor 1e30 is not a whole number")]
    public void A_notebook_field_of_the_wrong_type_is_refused_naming_the_field(string json, string message) => AssertRefused(json, message);

    private void AssertRefused(string json, string message)
    {
        var notebook = _dir.File("bad.ipynb");
        File.WriteAllText(notebook, json);
        var output = _dir.File("out.ipynb");
        var result = _dir.File("result.json");
        var (code, stdout, stderr) = Programs.Run(Programs.Mlops, ["notebook", "run", notebook, "--output", output, "--result", result],
            workingDirectory: _dir.Path, environment: new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = _dir.File("mlops.db") });
        Assert.True(code == 1, $"exit {code}: {stderr}");
        Assert.Contains($"is not a valid notebook: {message}", stderr);
        Assert.Equal("", stdout);
        Assert.False(File.Exists(output), "an output was written");
        Assert.False(File.Exists(result), "a result was written");
    }
}
