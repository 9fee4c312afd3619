using System.Security.Cryptography;
using System.Text;
using Markdig;

namespace MlopsNotebooks.Runner;

/// <summary>
/// What the kernel displays for the parts of a cell that are not code it runs: HTML as written, Markdown rendered to
/// HTML (Jupyter's #!markdown, with its Markdig extensions), and Mermaid as the kernel's page that draws the diagram.
/// </summary>
internal static class KernelDisplays
{
    private static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseMathematics().UseAdvancedExtensions().Build();

    public static string MarkdownHtml(string markdown) => Markdig.Markdown.ToHtml(markdown, Markdown);

    /// <summary>
    /// The kernel's Mermaid page (mermaid 10.6.1 from its CDN), line endings and all. The element's id is derived from
    /// the diagram and its place rather than random, so the same notebook gives the same output.
    /// </summary>
    public static string MermaidHtml(string diagram, string place)
    {
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(place + "\n" + diagram)))[..32];
        // The diagram goes into a JavaScript template literal: what would end it or interpolate is escaped.
        var literal = diagram.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("`", "\\`", StringComparison.Ordinal).Replace("${", "\\${", StringComparison.Ordinal);
        return $"<div class=\"mermaidMarkdownContainer\" style=\"background-color:white\">\n"
            + "<link rel=\"stylesheet\" href=\"https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.2.0/css/all.min.css\">\n"
            + $"<div id=\"{id}\"></div>\n"
            + "<script type=\"module\">\n\r\n"
            + "            import mermaid from 'https://cdn.jsdelivr.net/npm/mermaid@10.6.1/dist/mermaid.esm.min.mjs';\r\n"
            + $"            let renderTarget = document.getElementById('{id}');\r\n"
            + "            try {\r\n"
            + "                const {svg, bindFunctions} = await mermaid.mermaidAPI.render( \r\n"
            + $"                    'mermaid_{id}', \r\n"
            + $"                    `{literal}`);\r\n"
            + "                renderTarget.innerHTML = svg;\r\n"
            + "                bindFunctions?.(renderTarget);\r\n"
            + "            }\r\n"
            + "            catch (error) {\r\n"
            + "                console.log(error);\r\n"
            + "            }\n"
            + "</script>\n"
            + "</div>\n";
    }
}
