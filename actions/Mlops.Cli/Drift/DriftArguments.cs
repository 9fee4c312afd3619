using System.CommandLine;
using System.Globalization;
using MlopsNotebooks.Monitoring;

namespace MlopsNotebooks.Cli.Drift;

/// <summary>How drift is judged, as <c>mlops drift</c> and <c>mlops monitor</c> both take it: --mode, --test, --threshold, --drift-share.</summary>
internal sealed class DriftArguments
{
    public Option<string> Mode { get; } = new("--mode") { Description = "exact (the reference's columns kept whole) or profile (its bins only, with error bounds).", DefaultValueFactory = _ => "exact" };

    public Option<string> Test { get; } = new("--test") { Description = "auto (per column, as Evidently picks), or one of ks, wasserstein, chisquare, z, jensenshannon, psi.", DefaultValueFactory = _ => DriftTests.Auto };

    public Option<double?> Threshold { get; } = new("--threshold") { Description = "The test's threshold (with --test; default: the test's own)." };

    public Option<double> Share { get; } = new("--drift-share") { Description = "The data set drifts when at least this share of its columns drift.", DefaultValueFactory = _ => 0.5 };

    public DriftArguments()
    {
        Mode.AcceptOnlyFromAmong("exact", "profile");
        Test.AcceptOnlyFromAmong([.. DriftTests.All]);
    }

    public IEnumerable<Option> All => [Mode, Test, Threshold, Share];

    /// <summary>The options as the analysis takes them; a value out of range is a message, not a crash.</summary>
    public static DriftOptions Build(string mode, string test, double? threshold, double share, IReadOnlyList<string>? columns = null) => new()
    {
        Mode = mode switch
        {
            "exact" => DriftMode.Exact,
            "profile" => DriftMode.Profile,
            var other => throw new MlopsException($"'{other}' is not a drift mode.", "Use exact or profile."),
        },
        Test = DriftTests.All.Contains(test) ? test
            : throw new MlopsException($"'{test}' is not a drift test.", $"Use one of: {string.Join(", ", DriftTests.All)}."),
        Threshold = threshold is null or (> 0 and < double.PositiveInfinity) ? threshold
            : throw new MlopsException($"--threshold {threshold.Value.ToString(CultureInfo.InvariantCulture)} is not a threshold.", "Give a number above 0, e.g. 0.05 for a p-value or 0.1 for a distance."),
        DriftShare = share is > 0 and <= 1 ? share
            : throw new MlopsException($"--drift-share {share.ToString(CultureInfo.InvariantCulture)} is not a share.", "Give a number above 0 and at most 1, e.g. 0.5."),
        Columns = columns,
    };
}
