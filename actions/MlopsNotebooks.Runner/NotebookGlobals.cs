using Microsoft.AspNetCore.Html;
using Microsoft.DotNet.Interactive.Formatting;

namespace MlopsNotebooks.Runner;

/// <summary>
/// What notebook code sees as globals, with the signatures of the kernel's (<c>using static
/// Microsoft.DotNet.Interactive.Kernel</c>, which every C# kernel imports). The runner keeps its own rather than
/// referencing the kernel: <c>Javascript</c> and <c>CSS</c> there send a command through the kernel's invocation
/// context, which a headless runner has not got (they would throw). Displays go through the formatting library's
/// displayed-value events, as <c>x.Display()</c> does, so each lands where it happened in the cell's outputs.
/// </summary>
public class NotebookGlobals
{
    /// <summary>Shows a value in the given mime types (by default the ones the formatter prefers for its type).</summary>
    public DisplayedValue display(object? value, params string[] mimeTypes) => value!.Display(mimeTypes);

    /// <summary>Markup as HTML, not as a string: displayed, it is written as it is.</summary>
    public IHtmlContent HTML(string content) => content.ToHtmlContent();

    /// <summary>Runs a script in the page the notebook is shown in (an HTML display of a script element).</summary>
    public void Javascript(string scriptContent) => $"<script type=\"text/javascript\">{scriptContent}</script>".DisplayAs(HtmlFormatter.MimeType);

    /// <summary>Adds a style sheet to the page the notebook is shown in (through a script, as in the kernel).</summary>
    public void CSS(string content) => Javascript(
        $"const style = document.createElement('style');\nstyle.textContent = `{content}`;\n(document.head || document.documentElement).appendChild(style);");
}
