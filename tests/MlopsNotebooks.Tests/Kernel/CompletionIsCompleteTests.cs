using MlopsNotebooks.Kernel.Assist;

namespace MlopsNotebooks.Tests.Kernel;

/// <summary>Jupyter's is_complete, answered from the parser: what a console client does on Enter.</summary>
public sealed class CompletionIsCompleteTests
{
    [Theory]
    [InlineData("var x = 1;")]
    [InlineData("x")]
    [InlineData("if (x) { Console.WriteLine(1); }")]
    [InlineData("")]
    public void A_whole_statement_is_complete(string code) =>
        Assert.Equal(new Completeness("complete"), CodeAssistant.IsComplete(code));

    [Theory]
    [InlineData("if (x) {", "    ")]
    [InlineData("class Churn\n{\n    void Fit()\n    {", "        ")]
    [InlineData("var x = ", "")]
    [InlineData("Console.WriteLine(", "")]
    [InlineData("var s = \"open", "")]
    [InlineData("var s = \"\"\"\nraw", "")]
    public void An_open_block_is_incomplete_with_the_indent_of_the_next_line(string code, string indent) =>
        Assert.Equal(new Completeness("incomplete", indent), CodeAssistant.IsComplete(code));

    [Theory]
    [InlineData("}")]
    [InlineData("var x = 1; }")]
    [InlineData("var = ;")]
    public void Code_no_further_line_can_fix_is_invalid(string code) =>
        Assert.Equal(new Completeness("invalid"), CodeAssistant.IsComplete(code));

    [Theory]
    [InlineData("#!mlops start-run --name baseline")]
    [InlineData("#!mlops log-param lr 0.1\n#!mlops end-run")]
    [InlineData("#r \"nuget: Newtonsoft.Json, 13.0.3\"\n#i \"nuget: https://example.test/v3/index.json\"")]
    public void A_cell_of_magics_only_is_complete(string code) =>
        Assert.Equal(new Completeness("complete"), CodeAssistant.IsComplete(code));

    [Fact]
    public void A_magic_line_before_an_open_block_leaves_it_incomplete() =>
        Assert.Equal(new Completeness("incomplete", "    "), CodeAssistant.IsComplete("#!mlops start-run\nfor (var i = 0; i < 3; i++)\n{"));
}
