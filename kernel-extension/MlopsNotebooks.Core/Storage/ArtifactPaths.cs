namespace MlopsNotebooks.Storage;

/// <summary>Artifact names are relative, '/'-separated paths that stay inside their run's folder.</summary>
public static class ArtifactPaths
{
    public static string Normalize(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new InvalidNameException("The artifact path is empty.", "Name the artifact, e.g. 'model/model.zip'.");
        }
        var normalized = path.Replace('\\', '/');
        if (normalized.StartsWith('/') || Path.IsPathRooted(path) || (normalized.Length > 1 && normalized[1] == ':'))
        {
            throw new InvalidNameException($"The artifact path '{path}' is absolute.",
                "Artifact paths are relative to the run, e.g. 'model/model.zip'.");
        }
        var parts = normalized.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var part in parts)
        {
            if (part is "." or "..")
            {
                throw new InvalidNameException($"The artifact path '{path}' has a '{part}' part and could leave the run's folder.",
                    "Use a plain relative path such as 'plots/roc.png'.");
            }
            if (part.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || part.Contains(':'))
            {
                throw new InvalidNameException($"The artifact path '{path}' has a character that is not allowed in a file name.");
            }
        }
        return string.Join('/', parts);
    }
}
