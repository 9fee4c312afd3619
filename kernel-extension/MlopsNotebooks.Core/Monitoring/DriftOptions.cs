namespace MlopsNotebooks.Monitoring;

/// <summary>How the reference is compared: the sorted reference columns (exact), or its bins and counts only (profile).</summary>
public enum DriftMode
{
    Exact,
    Profile,
}

/// <summary>The statistical tests drift knows, by the names Evidently gives them.</summary>
public static class DriftTests
{
    /// <summary>Picks a test per column as Evidently does (the default).</summary>
    public const string Auto = "auto";
    public const string KolmogorovSmirnov = "ks";
    public const string Wasserstein = "wasserstein";
    public const string ChiSquare = "chisquare";
    public const string ZTest = "z";
    public const string JensenShannon = "jensenshannon";
    public const string Psi = "psi";

    public static readonly IReadOnlyList<string> All = [Auto, KolmogorovSmirnov, Wasserstein, ChiSquare, ZTest, JensenShannon, Psi];

    /// <summary>Evidently's default threshold of each test; a p-value for ks, chisquare and z, a distance otherwise.</summary>
    public static double DefaultThreshold(string test) => test switch
    {
        KolmogorovSmirnov or ChiSquare or ZTest => 0.05,
        _ => 0.1,
    };

    /// <summary>Whether the test's figure is a p-value (drift when small) rather than a distance (drift when large).</summary>
    public static bool IsPValueTest(string test) => test is KolmogorovSmirnov or ChiSquare or ZTest;
}

/// <summary>What a drift comparison does; the defaults are Evidently's.</summary>
public sealed record DriftOptions
{
    public DriftMode Mode { get; init; } = DriftMode.Exact;

    /// <summary><see cref="DriftTests.Auto"/> picks per column; any other name applies that test to every column it fits.</summary>
    public string Test { get; init; } = DriftTests.Auto;

    /// <summary>The test's threshold, or null for the test's default.</summary>
    public double? Threshold { get; init; }

    /// <summary>The data set drifts when at least this share of its compared columns drift.</summary>
    public double DriftShare { get; init; } = 0.5;

    /// <summary>Reference sizes up to this use the tests for small samples (KS, chi-squared, Z).</summary>
    public int SmallReference { get; init; } = 1000;

    /// <summary>Columns with at most this many distinct values (reference and current together) are compared as categories.</summary>
    public int CategoryLimit { get; init; } = 5;

    /// <summary>Only these columns (null: every column the reference and the current data share).</summary>
    public IReadOnlyList<string>? Columns { get; init; }
}
