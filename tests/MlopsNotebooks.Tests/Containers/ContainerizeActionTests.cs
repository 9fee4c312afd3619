using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Containers;

/// <summary>`mlops action containerize` as the runner starts it: inputs in INPUT_*, outputs in GITHUB_OUTPUT.</summary>
[Collection(ContainersCollection.Name)]
public sealed class ContainerizeActionTests(ContainerTestBed bed)
{
    [Fact]
    public async Task The_action_masks_the_registry_password_first_pushes_and_sets_the_image_tags_and_digest_outputs()
    {
        using var temp = new TempDirectory();
        var repository = bed.NewRepository("mlops-tests/action");
        File.WriteAllText(temp.File("output"), "");
        var (exitCode, output, error) = Programs.Run(Programs.Mlops, ["action", "containerize"], temp.Path, new Dictionary<string, string?>
        {
            ["GITHUB_ACTIONS"] = "true",
            ["GITHUB_OUTPUT"] = temp.File("output"),
            ["GITHUB_SHA"] = ContainerTestBed.Commit,
            ["INPUT_MODEL"] = bed.Bundle.Folder,
            ["INPUT_IMAGE"] = $"{bed.Registry.Host}/{repository}",
            ["INPUT_BASE-IMAGE"] = DockerEngineFixture.BaseImage,
            ["INPUT_PUSH"] = "true",
            ["INPUT_REGISTRY-USERNAME"] = ContainerRegistry.Username,
            ["INPUT_REGISTRY-PASSWORD"] = bed.Registry.Password,
        }, timeoutSeconds: 300);

        Assert.True(exitCode == 0, output + error);
        var lines = output.Split('\n');
        Assert.Equal($"::add-mask::{bed.Registry.Password}", lines[0]);
        Assert.DoesNotContain(bed.Registry.Password, string.Join('\n', lines.Skip(1)) + error);
        Assert.Contains(lines, l => l.StartsWith("Step ", StringComparison.Ordinal)); // the build's output, streamed to the log

        var outputs = File.ReadAllText(temp.File("output"));
        Assert.Matches($@"image<<(\w+)\n{System.Text.RegularExpressions.Regex.Escape($"{bed.Registry.Host}/{repository}:1")}\n\1\n", outputs);
        Assert.Matches($@"tags<<(\w+)\n[^\n]*:1\n[^\n]*:0123456\n\1\n", outputs);
        Assert.Matches(@"digest<<(\w+)\nsha256:[0-9a-f]{64}\n\1\n", outputs);
        Assert.Equal(["0123456", "1"], (await bed.Registry.TagsAsync(repository)).Order(StringComparer.Ordinal));
    }
}
