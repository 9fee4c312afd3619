namespace MlopsNotebooks.Cli.Models;

/// <summary><c>mlops models list</c>: it takes no options of its own.</summary>
internal sealed record ListModelsSettings;

/// <summary><c>mlops models show</c>: a name (all its versions), name/3 or name@alias (one version).</summary>
internal sealed record ShowModelSettings(string Reference);

/// <summary><c>mlops models register</c>: <see cref="Reference"/> is the training data to profile for drift.</summary>
internal sealed record RegisterModelSettings(string RunId, string Name, string Artifact, string? Alias, string? Reference);

/// <summary><c>mlops models alias</c>: point <see cref="Alias"/> at <see cref="Version"/>, or remove it.</summary>
internal sealed record ModelAliasSettings(string Name, string Alias, int? Version, bool Delete);

/// <summary><c>mlops models download</c>: the bundle goes to <see cref="To"/>, default ./name-version.</summary>
internal sealed record DownloadModelSettings(string Reference, string? To);

/// <summary><c>mlops models predict</c>: score <see cref="Input"/> with <see cref="Model"/> into <see cref="Output"/>.</summary>
internal sealed record PredictSettings(string Model, string Input, string Output);
