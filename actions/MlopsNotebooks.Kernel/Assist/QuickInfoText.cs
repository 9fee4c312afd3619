using Microsoft.CodeAnalysis.QuickInfo;

namespace MlopsNotebooks.Kernel.Assist;

/// <summary>Roslyn's quick info as hover shows it: the signature, then what the documentation says.</summary>
internal static class QuickInfoText
{
    // What detail level 0 shows beyond the signature; level 1 shows every section Roslyn gives.
    private static readonly HashSet<string> Summary = [QuickInfoSectionKinds.DocumentationComments];

    public static Inspection? Of(QuickInfoItem info, int detailLevel)
    {
        var signature = info.Sections.FirstOrDefault(s => s.Kind == QuickInfoSectionKinds.Description)?.Text;
        if (string.IsNullOrWhiteSpace(signature))
        {
            return null;
        }
        var notes = info.Sections
            .Where(s => s.Kind != QuickInfoSectionKinds.Description && (detailLevel > 0 || Summary.Contains(s.Kind)))
            .Select(s => s.Text.Trim())
            .Where(t => t.Length > 0)
            .ToList();
        var plain = string.Join("\n\n", [signature, .. notes]);
        var markdown = string.Join("\n\n", [$"```csharp\n{signature}\n```", .. notes]);
        return new Inspection(plain, markdown);
    }
}
