using System.Text.RegularExpressions;

namespace MlopsNotebooks.Deployment;

/// <summary>
/// Kubernetes names from the kit's names. A model name ([A-Za-z0-9_.-]) becomes a DNS-1035 label, as a Service name must
/// be: lower-case, with _ and . as -. What still does not fit (a leading digit, a trailing -, over 63 characters) is
/// refused rather than silently rewritten further, so two models never end up with one name.
/// </summary>
public static partial class KubernetesNames
{
    public const int MaxLength = 63;

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex NamespaceLabel();

    /// <summary>The objects' name for a model: churn_v2.fast becomes churn-v2-fast.</summary>
    public static string ForModel(string model)
    {
        var name = model.ToLowerInvariant().Replace('_', '-').Replace('.', '-');
        if (name.Length > MaxLength || !Label().IsMatch(name))
        {
            throw new InvalidNameException(
                $"The model name '{model}' gives '{name}', which is not a Kubernetes name: it must start with a letter, end with a letter or digit and have at most {MaxLength} characters.",
                "Register the model under a name that starts with a letter and ends with a letter or digit, e.g. churn or churn-v2.");
        }
        return name;
    }

    /// <summary>A namespace, as given: it is the cluster's name, so it is checked, never rewritten.</summary>
    public static string Namespace(string name) => name.Length <= MaxLength && NamespaceLabel().IsMatch(name)
        ? name
        : throw new InvalidNameException($"The namespace '{name}' is not a Kubernetes name.",
            $"Use lower-case letters, digits and -, starting and ending with a letter or digit, at most {MaxLength} characters: e.g. ml-serving.");
}
