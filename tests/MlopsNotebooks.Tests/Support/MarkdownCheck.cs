using System.Text.RegularExpressions;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// Markdown as GitHub reads it, parsed by Markdig with its advanced extensions and GFM's extended autolinks (bare
/// URLs, www., e-mail-like text): what in it is a link, an image, HTML, a heading, or text GitHub would turn into a
/// mention, an issue reference or a link.
/// </summary>
public static partial class MarkdownCheck
{
    public static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().UseAutoLinks().Build();

    [GeneratedRegex(@"(?<![A-Za-z0-9_`])@[A-Za-z0-9]|(?<![A-Za-z0-9&])#[0-9]|(?i:https?|ftp)://|(?i:www)\.[A-Za-z0-9]|(?i:mailto|tel):|[A-Za-z0-9._%+-]@[A-Za-z0-9]")]
    private static partial Regex LiveText();

    /// <summary>
    /// What the Markdown makes that the report did not mean to: links other than <paramref name="ourLinks"/>, images,
    /// autolinks, HTML other than the report's marker, headings other than <paramref name="ourHeadings"/>, and text outside code that GitHub
    /// would make live.
    /// </summary>
    public static List<string> Problems(string markdown, IReadOnlyCollection<string> ourHeadings, Func<string, bool> ourLink)
    {
        var problems = new List<string>();
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var node in document.Descendants())
        {
            switch (node)
            {
                case HtmlBlock html when !(html.Lines.ToString().StartsWith("<!-- mlops-report: ", StringComparison.Ordinal) && html.Lines.Count == 1):
                    problems.Add($"HTML block: {html.Lines}");
                    break;
                case HtmlInline html:
                    problems.Add($"HTML: {html.Tag}");
                    break;
                case AutolinkInline autolink:
                    problems.Add($"autolink: {autolink.Url}");
                    break;
                case LinkInline link when link.IsImage || !ourLink(link.Url ?? "") || link.IsAutoLink:
                    problems.Add($"link: {link.Url}");
                    break;
                case HeadingBlock heading when !ourHeadings.Contains(Text(heading.Inline)):
                    problems.Add($"heading: {Text(heading.Inline)}");
                    break;
                case LiteralInline literal when LiveText().Match(Visible(literal)) is { Success: true } live:
                    problems.Add($"live text '{live.Value}' in '{Visible(literal)}'");
                    break;
            }
        }
        return problems;
    }

    // GitHub finds mentions in the text of a paragraph after rendering, across Markdig's literal pieces: join a literal with its neighbours.
    private static string Visible(LiteralInline literal)
    {
        var parent = literal.Parent;
        return parent is null ? literal.Content.ToString() : string.Concat(parent.OfType<LiteralInline>().Select(l => l.Content.ToString()));
    }

    /// <summary>The text a reader sees in these inlines (code spans' content included).</summary>
    public static string Text(ContainerInline? inline) => inline is null ? "" : string.Concat(inline.Descendants<Inline>().Select(i => i switch
    {
        LiteralInline l => l.Content.ToString(),
        CodeInline c => c.Content,
        _ => "",
    }));
}
