using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Tracking;

/// <summary>The one key=value rule that the CLI's -p, the action's parameters and the magics share.</summary>
public sealed class KeyValueTextTests
{
    [Theory]
    [InlineData("epochs=20", "epochs", "20")]
    [InlineData("note=", "note", "")]
    [InlineData("url=a=b", "url", "a=b")]
    [InlineData(" spaced = kept ", " spaced ", " kept ")]
    public void A_pair_splits_at_the_first_equals_sign_and_keeps_the_value_as_written(string text, string key, string value)
    {
        Assert.Equal((key, value), KeyValueText.Parse(text, "-p", "hint"));
    }

    [Theory]
    [InlineData("epochs")]
    [InlineData("=20")]
    [InlineData("")]
    public void A_pair_without_a_key_is_refused_in_the_callers_words(string text)
    {
        var e = Assert.Throws<MlopsException>(() => KeyValueText.Parse(text, "#!mlops set-tag:", "Usage: x"));
        Assert.Equal($"#!mlops set-tag: '{text}' is not key=value.", e.Message);
        Assert.Equal("Usage: x", e.Hint);
        Assert.False(KeyValueText.TryParse(text, out _, out _));

        var named = Assert.Throws<MlopsException>(() => KeyValueText.Parse(text, "-p", "Write e.g. -p epochs=20.", form: "name=value"));
        Assert.Equal($"-p '{text}' is not name=value.", named.Message);
    }

    [Fact]
    public void Every_pair_is_checked_before_any_is_used_and_the_last_of_a_key_wins()
    {
        Assert.Equal(new Dictionary<string, string> { ["a"] = "3", ["b"] = "2" }, KeyValueText.ParseAll(["a=1", "b=2", "a=3"], "-p", "hint"));
        Assert.Throws<MlopsException>(() => KeyValueText.ParseAll(["a=1", "oops"], "-p", "hint"));
    }

    [Theory]
    [InlineData("oops")]
    [InlineData("=1")]
    public void The_cli_refuses_a_bad_parameter_with_the_shared_rule_before_anything_runs(string pair)
    {
        using var dir = new Support.TempDirectory();
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = MlopsNotebooks.Cli.MlopsCli.Run(["notebook", "run", dir.File("missing.ipynb"), "-p", pair], output, error);
        Assert.Equal(1, code);
        Assert.Equal($"error: -p '{pair}' is not name=value.\nWrite e.g. -p epochs=20.\n", error.ToString());
        Assert.Equal("", output.ToString());
    }
}
