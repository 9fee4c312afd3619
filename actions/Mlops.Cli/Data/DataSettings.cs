using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Cli.Data;

/// <summary><c>mlops data add</c>.</summary>
internal sealed record AddDataSettings(IReadOnlyList<string> Paths, LinkType? Link);

/// <summary><c>mlops data status</c>: the paths named, or null for every pointer file.</summary>
internal sealed record DataStatusSettings(IReadOnlyList<string>? Paths);

/// <summary><c>mlops data diff</c>.</summary>
internal sealed record DataDiffSettings(string Revision);

/// <summary><c>mlops data checkout</c>: the paths named, or null for all.</summary>
internal sealed record CheckoutSettings(IReadOnlyList<string>? Paths, bool Force);

/// <summary><c>mlops data push</c> (<see cref="Push"/>) and <c>pull</c>: the paths named, or null for all.</summary>
internal sealed record TransferSettings(bool Push, string? Remote, IReadOnlyList<string>? Paths);

/// <summary><c>mlops data gc</c>: on the cache, or on <see cref="Remote"/> with the store of <see cref="TrackingUri"/> counted too.</summary>
internal sealed record GcSettings(IReadOnlyList<string> Revisions, bool AllBranches, bool DryRun, TimeSpan Grace, string? Remote, string? TrackingUri);

/// <summary><c>mlops remote add</c>.</summary>
internal sealed record AddRemoteSettings(string Name, string Url, bool MakeDefault);

/// <summary><c>mlops remote list</c>: it takes no options of its own.</summary>
internal sealed record ListRemotesSettings;
