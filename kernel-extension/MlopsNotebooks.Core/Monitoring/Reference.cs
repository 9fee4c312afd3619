namespace MlopsNotebooks.Monitoring;

/// <summary>
/// A model version's reference as drift uses it: the profile (always) and the reference's columns kept whole (for
/// exact mode; absent when only the profile was kept).
/// </summary>
public sealed class Reference
{
    public const string ProfileFile = "reference-profile.json";
    public const string ColumnsFile = "reference-columns.bin";

    public required ReferenceProfile Profile { get; init; }

    /// <summary>The columns kept whole, or null (profile mode only).</summary>
    public IReadOnlyList<ExactColumn>? Exact { get; init; }

    /// <summary>Reads the reference from an export bundle folder.</summary>
    public static Reference Load(string bundleFolder) => throw new NotImplementedException();

    /// <summary>The reference of reference data given whole (a CSV or a data frame): profile and exact columns.</summary>
    public static Reference FromData(DataColumns data) => throw new NotImplementedException();
}

/// <summary>Compares current data with a reference, column by column, and says whether the data set drifted.</summary>
public static class DriftAnalysis
{
    public static DriftReport Compare(Reference reference, DataColumns current, DriftOptions options) => throw new NotImplementedException();
}
