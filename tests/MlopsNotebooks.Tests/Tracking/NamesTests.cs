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
