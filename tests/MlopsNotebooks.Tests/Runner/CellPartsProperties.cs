using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MlopsNotebooks.Runner;

namespace MlopsNotebooks.Tests.Runner;

/// <summary>
/// Generated cells of code lines, magic commands and kernel selectors, split as the kernel splits them: every line is in
/// exactly one part, at its own line number, and each code part is in the language the last selector before it chose.
/// </summary>
public sealed class CellPartsProperties
{
    private static readonly string[] Code = ["var a = 1;", "", "  #!time", "    #!/bin/bash", "\"\"\"", "#r \"x.dll\"", "#region x", "// c", "a", "#if DEBUG"];

    private static readonly string[] Magics = ["#!time", "#!mlops help", "#!import x.cs", "#!set --name a", "#!/bin/bash", "#!markdown"];

    private static readonly Dictionary<string, string> Selectors = new()
    {
        ["#!html"] = "html", ["#!csharp"] = "csharp", ["#!c#"] = "csharp", ["#!mermaid"] = "mermaid", ["#!fsharp  "] = "fsharp", ["#!JS"] = "javascript",
    };

    private static Gen<string[]> Cells() =>
        Gen.Elements(Code.Concat(Magics).Concat(Selectors.Keys).ToArray()).ArrayOf();

    [Property(MaxTest = 500)]
    public Property Every_line_is_in_one_part_at_its_own_line_in_the_language_chosen_before_it() =>
        Prop.ForAll(Cells().ToArbitrary(), lines =>
        {
            var parts = CellParts.Parse(string.Join("\r\n", lines), "csharp");
            var language = "csharp";
            for (var i = 0; i < lines.Length; i++)
            {
                var line = i + 1;
                if (Selectors.TryGetValue(lines[i], out var selected))
                {
                    language = selected;
                    Assert.DoesNotContain(parts, p => p.Line == line);
                }
                else if (lines[i].StartsWith("#!", StringComparison.Ordinal))
                {
                    var directive = Assert.IsType<DirectivePart>(Assert.Single(parts, p => p.Line == line));
                    Assert.Equal(lines[i], $"#!{directive.Name}{(directive.Arguments.Length > 0 ? " " + directive.Arguments : "")}");
                }
                else
                {
                    var holders = parts.OfType<CodePart>().Where(p => p.Line <= line && line < p.Line + p.Code.Split('\n').Length).ToList();
                    if (holders.Count == 0)
                    {
                        // Only a part of blank lines is no submission.
                        Assert.True(string.IsNullOrWhiteSpace(lines[i]), $"line {line} '{lines[i]}' is in no part");
                        continue;
                    }
                    var part = Assert.Single(holders);
                    Assert.Equal(lines[i], part.NumberedCode.Split('\n')[i]);
                    Assert.Equal(language, part.Language);
                }
            }
            Assert.Equal(parts.Count, parts.Select(p => p.Line).Distinct().Count());
        });
}
