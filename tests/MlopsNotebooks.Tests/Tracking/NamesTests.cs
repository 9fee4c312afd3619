using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Tracking;

public sealed class NamesTests
{
    [Theory]
    [InlineData("auc")]
    [InlineData("train/loss")]
    [InlineData("f1-score")]
    [InlineData("val.acc top 5")]
    [InlineData("a.b")]
    public void Ordinary_keys_are_accepted(string key) => Names.ValidateKey("metric", key);

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("   ", "is empty")]
    [InlineData("../secrets", "'..' part")]
    [InlineData("a/../b", "'..' part")]
    [InlineData("./a", "'.' part")]
    [InlineData("/etc/passwd", "empty part")]
    [InlineData("a//b", "empty part")]
    [InlineData("a/", "empty part")]
    [InlineData("a\\b", "contains '\\'")]
    [InlineData("c:x", "contains ':'")]
    [InlineData("a\nb", "U+000A")]
    [InlineData("naïve", "contains 'ï'")]
    public void Keys_that_are_empty_or_look_like_paths_are_refused(string key, string problem)
    {
        var error = Assert.Throws<InvalidNameException>(() => Names.ValidateKey("param", key));
        Assert.Contains(problem, error.Message);
        Assert.NotNull(error.Hint);
    }

    [Fact]
    public void A_key_over_the_limit_is_refused_with_its_length()
    {
        var error = Assert.Throws<InvalidNameException>(() => Names.ValidateKey("metric", new string('k', 251)));
        Assert.Contains("251 characters", error.Message);
        Names.ValidateKey("metric", new string('k', 250));
    }

    [Fact]
    public void Values_over_the_limit_point_to_artifacts()
    {
        var error = Assert.Throws<InvalidNameException>(() => Names.ValidateValue("param", "p", new string('v', 6001), Names.MaxParamValueLength));
        Assert.Contains("Mlops.LogArtifact", error.Hint);
    }
}

public sealed class UnsafeCharacterTests
{
    [Theory]
    [InlineData("invoice\u202Etxt.exe", 7)]  // RIGHT-TO-LEFT OVERRIDE: shows as "invoiceexe.txt"
    [InlineData("a\u202Ab", 1)]
    [InlineData("ab\u2066c\u2069", 2)]          // isolates
    [InlineData("\u200Fname", 0)]               // RIGHT-TO-LEFT MARK
    [InlineData("x\u061C", 1)]                  // ARABIC LETTER MARK
    [InlineData("run\u001b[2J", 3)]             // C0: ESC
    [InlineData("run\u009b2J", 3)]              // C1: CSI
    [InlineData("run\u007f", 3)]                // DEL
    [InlineData("tab\there", 3)]
    public void Control_and_bidirectional_characters_are_found_where_they_are(string text, int position) =>
        Assert.Equal(position, Names.FindUnsafeCharacter(text));

    [Theory]
    [InlineData("fasttree v2")]
    [InlineData("שלום")]                        // right-to-left letters are text, not controls
    [InlineData("模型-α 🚀")]
    public void Ordinary_text_in_any_script_has_none(string text) => Assert.Equal(-1, Names.FindUnsafeCharacter(text));

    [Theory]
    [InlineData("run", "model\u202Egpj.exe", "U+202E")]
    [InlineData("run", "a\u2067b", "U+2067")]
    [InlineData("experiment", "churn\u200E", "U+200E")]
    [InlineData("run", "x\u001b]0;title\u0007", "U+001B")]
    public void Names_with_a_control_or_bidirectional_character_are_refused_with_its_code(string kind, string name, string code)
    {
        var error = Assert.Throws<InvalidNameException>(() => Names.ValidateName(kind, name));
        Assert.Contains(code, error.Message);
        Assert.DoesNotContain(name, error.Message); // the message itself shows the name escaped
        Assert.NotNull(error.Hint);
    }

    [Fact]
    public void A_run_named_with_an_override_is_refused_before_it_is_stored()
    {
        using var dir = new Support.TempDirectory();
        using var client = new TrackingClient(dir.File("mlops.db"));
        Assert.Throws<InvalidNameException>(() => client.CreateRun("names", "report\u202Efdp.exe"));
        Assert.Empty(client.SearchRuns());
    }
}
