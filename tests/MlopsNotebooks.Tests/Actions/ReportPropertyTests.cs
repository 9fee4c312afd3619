using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using MlopsNotebooks.GitHub.Reporting;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Validation;

namespace MlopsNotebooks.Tests.Actions;

/// <summary>Strings meant to become Markdown, HTML, links and mentions, mixed with FsCheck's own random strings.</summary>
public static class HostileStrings
{
    private static readonly string[] Fragments =
    [
        "@octocat", "@org/team", "https://evil.example/x", "http://a.b", "ftp://x.example", "www.evil.example", "WWW.Evil.example",
        "a@b.example", "mailto:a@b.c", "tel:+123", "#12", "`", "``", "```", "|", "\\", "\\|", "<!--", "-->", "</script>", "<b>",
        "&#64;", "&lt;", "![i](https://x.example/i.png)", "[l](https://x.example)", "<https://x.example>", "*", "_", "~~", "$x$",
        "\n", "\r\n", "\u2028", "\0", "\u0016", "\t", " ", "  ", "# ", "> ", "- ", "---", "===", "+ ", "1. ", "2)", "{#id}", "[^1]", ":", "//", ".", "my_data.csv", "é", "\u200B",
    ];

    public static Gen<string> Generator =>
        Gen.ArrayOf(Gen.OneOf(Gen.Elements(Fragments), ArbMap.Default.ArbFor<string>().Generator.Select(s => s ?? ""))).Select(string.Concat);

    public static Arbitrary<string> Hostile() => Generator.ToArbitrary();
}

/// <summary>
/// Generated hostile strings through the one escaping function and the code spans, and generated malformed report data
/// through the reader and the renderer: nothing from data becomes Markdown of its own, and nothing but a message comes
/// out of data of the wrong shape.
/// </summary>
public sealed class ReportPropertyTests
{
    private static readonly ReportLinks Links = new("https://github.com", "o/r", "6dcb09b5b57875f334f61aebed695e2e4193db5e", "https://github.com/o/r/actions/runs/1");

    private static bool OurLink(string url) => url.StartsWith("https://github.com/o/r/", StringComparison.Ordinal);

    // What a reader sees of a line of data: one line, invisible breaks aside.
    private static string Seen(string text) => new string(text.Select(c => char.IsControl(c) || c is '\u2028' or '\u2029' ? ' ' : c).ToArray()).Replace("\u200B", "", StringComparison.Ordinal);

    [Property(Arbitrary = [typeof(HostileStrings)], MaxTest = 1000)]
    public void Text_from_data_reads_as_written_and_makes_no_link_mention_or_html(string value)
    {
        var markdown = "Value: " + Markdown.Text(value) + "\n";
        Assert.Empty(MarkdownCheck.Problems(markdown, [], _ => false));
        var paragraph = Assert.IsType<ParagraphBlock>(Assert.Single(Markdig.Markdown.Parse(markdown, MarkdownCheck.Pipeline)));
        Assert.Equal(("Value: " + Seen(value)).TrimEnd(' '), MarkdownCheck.Text(paragraph.Inline).Replace("\u200B", "", StringComparison.Ordinal).TrimEnd(' '));
    }

    [Property(Arbitrary = [typeof(HostileStrings)], MaxTest = 1000)]
    public void Text_after_a_bullet_stays_one_item_of_plain_text(string value)
    {
        var markdown = "- first\n  - " + (Markdown.Text(value) is { } m && m.Trim().Length > 0 ? m : "(no message)") + "\n";
        Assert.Empty(MarkdownCheck.Problems(markdown, [], _ => false));
        var document = Markdig.Markdown.Parse(markdown, MarkdownCheck.Pipeline);
        Assert.Equal(2, Markdig.Syntax.MarkdownObjectExtensions.Descendants<ListItemBlock>(document).Count());
        Assert.Empty(Markdig.Syntax.MarkdownObjectExtensions.Descendants<ThematicBreakBlock>(document));
    }

    [Property(Arbitrary = [typeof(HostileStrings)], MaxTest = 1000)]
    public void Text_in_a_table_cell_stays_in_its_cell(string value)
    {
        var markdown = "| a | b |\n|---|---|\n| " + Markdown.Cell(value) + " | end |\n";
        Assert.Empty(MarkdownCheck.Problems(markdown, [], _ => false));
        var table = Assert.IsType<Table>(Assert.Single(Markdig.Markdown.Parse(markdown, MarkdownCheck.Pipeline)));
        var row = (TableRow)table[1];
        Assert.Equal(2, row.Count);
        Assert.Equal(Seen(value).Trim(' '), MarkdownCheck.Text(((ParagraphBlock)((TableCell)row[0])[0]).Inline).Replace("\u200B", "", StringComparison.Ordinal).Trim(' '));
    }

    [Property(Arbitrary = [typeof(HostileStrings)], MaxTest = 1000)]
    public void A_code_span_holds_the_name_as_written(string value)
    {
        var code = Markdown.Code(value);
        var expected = Seen(value.Replace("\u200B", "x", StringComparison.Ordinal));
        if (expected.Length == 0)
        {
            return;
        }
        var markdown = "Name " + Markdown.Code(value.Replace("\u200B", "x", StringComparison.Ordinal)) + " end\n";
        Assert.Empty(MarkdownCheck.Problems(markdown, [], _ => false));
        var span = Assert.Single(Markdig.Syntax.MarkdownObjectExtensions.Descendants<Markdig.Syntax.Inlines.CodeInline>(Markdig.Markdown.Parse(markdown, MarkdownCheck.Pipeline)));
        Assert.Equal(expected, span.Content);
        Assert.NotEmpty(code);
    }

    [Property(Arbitrary = [typeof(HostileStrings)], MaxTest = 300)]
    public void A_report_whose_strings_are_hostile_makes_only_its_own_headings_and_links(string value)
    {
        var report = ReportTests.Report(passed: false, failures: 2);
        report["notebooks"]![0]!["notebook"] = value;
        report["notebooks"]![0]!["failure"]!["message"] = value;
        report["runs"]![0]!["run_name"] = value;
        report["runs"]![0]!["params"]![value] = value;
        report["runs"]![0]!["inputs"]![0]!["path"] = value;
        report["data"]![0]!["data"] = value;
        report["data"]![0]!["violations"]![0]!["message"] = value;
        report["gates"]![0]!["gate"] = value;
        report["gates"]![0]!["detail"] = value;
        report["candidate_params"]![value] = value;
        report["baseline_data"]!["notebooks/data/churn.csv"] = value;
        report["baseline_source"] = value;
        report["candidate"]![value] = 0.5;
        var data = ReportData.Read(report.ToJsonString(), "report.json");
        foreach (var markdown in new[] { ReportMarkdown.Build(data, value, Links, fork: value), ReportMarkdown.Build(data, value, Links, charts: false, detail: false) })
        {
            Assert.Empty(MarkdownCheck.Problems(markdown, ReportTests.OurHeadings, OurLink));
        }
    }

    /// <summary>Report data with one value replaced by one of another shape, or removed.</summary>
    public static Gen<string> MalformedReports
    {
        get
        {
            JsonNode?[] replacements = [null, "text", "<!-- @x", 12, -1, 1.5, 1e300, true, new JsonArray(), new JsonObject(), new JsonArray((JsonNode?)null),
                new JsonObject { ["x"] = null }, new JsonArray(1), new JsonArray("a", "b"), long.MaxValue];
            var count = Nodes(ReportTests.Report(passed: false, failures: 1)).Count;
            return Gen.Choose(0, count - 1).SelectMany(at => Gen.Choose(-1, replacements.Length - 1).Select(with =>
            {
                var report = ReportTests.Report(passed: false, failures: 1);
                var (parent, key, _) = Nodes(report)[at];
                JsonNode? Replacement() => with < 0 ? null : replacements[with]?.DeepClone();
                switch (parent, key)
                {
                    case (JsonObject o, string name) when with < 0:
                        o.Remove(name);
                        break;
                    case (JsonObject o, string name):
                        o[name] = Replacement();
                        break;
                    case (JsonArray a, int index):
                        a[index] = Replacement();
                        break;
                }
                return report.ToJsonString();
            }));
        }
    }

    // Every value in the report with where it sits: (parent, key or index, value).
    private static List<(JsonNode Parent, object Key, JsonNode? Value)> Nodes(JsonNode root)
    {
        var all = new List<(JsonNode, object, JsonNode?)>();
        void Walk(JsonNode node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (k, v) in o.ToList())
                    {
                        all.Add((o, k, v));
                        if (v is not null) Walk(v);
                    }
                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                    {
                        all.Add((a, i, a[i]));
                        if (a[i] is { } v) Walk(v);
                    }
                    break;
            }
        }
        Walk(root);
        return all;
    }

    [Fact]
    public void Malformed_report_data_is_read_into_a_report_or_a_message_never_anything_else()
    {
        Prop.ForAll(MalformedReports.ToArbitrary(), json =>
        {
            ValidationReport data;
            try
            {
                data = ReportData.Read(json, "report.json");
            }
            catch (MlopsException e)
            {
                Assert.Contains("report.json", e.Message);
                return;
            }
            // What reads must render, and make nothing of its own.
            Assert.Empty(MarkdownCheck.Problems(ReportMarkdown.Comment(data, "mlops", Links, out _), ReportTests.OurHeadings, OurLink));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }
}
