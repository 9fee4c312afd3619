using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Tracking;

/// <summary>Runs record the data they used through the fluent API (process-wide state: runs with the fluent tests).</summary>
[Collection(nameof(FluentApiTests))]
public sealed class LineageTests : IDisposable
{
    private readonly GitRepository _git = new();

    public LineageTests()
    {
        Mlops.Reset();
        Mlops.SetTrackingUri(_git.PathOf(".mlops/mlops.db"));
    }

    public void Dispose()
    {
        Mlops.Reset();
        _git.Dispose();
    }

    [Fact]
    public void Data_added_or_used_inside_a_run_is_recorded_with_its_hash()
    {
        var train = _git.Write("data/train.csv", "a\n1\n");
        var test = _git.Write("data/test.csv", "a\n2\n");
        string runId;
        using (var run = Mlops.StartRun("lineage"))
        {
            runId = run.RunId;
            var added = Mlops.Data.Add(train);
            var used = Mlops.Data.Use(test);
            Assert.True(File.Exists(train + ".mlops"));
            Assert.False(File.Exists(test + ".mlops")); // Use records without versioning
            Assert.Equal("data/test.csv", used.Path);
            Assert.Equal("data/train.csv", added.Path);
        }
        var inputs = Mlops.GetRun(runId).Inputs;
        Assert.Equal(["data/test.csv", "data/train.csv"], inputs.Select(i => i.Path));
        Assert.All(inputs, i => Assert.StartsWith("sha256:", i.Hash));
    }

    [Fact]
    public void Using_data_with_no_active_run_says_to_start_one()
    {
        var csv = _git.Write("data/a.csv", "x\n");
        Assert.Contains("Mlops.StartRun", Assert.Throws<ConflictException>(() => Mlops.Data.Use(csv)).Hint);
    }
}
