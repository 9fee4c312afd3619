using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Completion;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.QuickInfo;
using Microsoft.CodeAnalysis.Tags;
using MlopsNotebooks.Runner.Interactive;

namespace MlopsNotebooks.Kernel.Assist;

/// <summary>A completion list for the code at the cursor: the matches and the span of the cell they replace.</summary>
public sealed record Completions(IReadOnlyList<string> Matches, int CursorStart, int CursorEnd)
{
    /// <summary>Each match's kind (method, property, local, ...), for clients that show it (Jupyter's _jupyter_types_experimental).</summary>
    public IReadOnlyList<CompletionKind> Kinds { get; init; } = [];
}

public sealed record CompletionKind(string Text, string Type, int Start, int End);

/// <summary>What hover shows for the symbol at the cursor: plain text and, for clients that take it, Markdown.</summary>
public sealed record Inspection(string PlainText, string Markdown);

/// <summary>Jupyter's is_complete: complete, incomplete (with the indent the next line takes) or invalid.</summary>
public sealed record Completeness(string Status, string Indent = "");

/// <summary>
/// Completion, hover and is_complete for a live session: Roslyn's editor services over the session's submissions so
/// far and the cell being typed, as an editor sees a C# script. Positions are UTF-16 offsets into the cell, as .NET and
/// Roslyn count (the kernel converts Jupyter's code points at the wire). A request Roslyn cannot answer gets nothing (and
/// a line on <paramref name="log"/>), never an exception: the kernel keeps serving.
/// </summary>
/// <param name="log">Where a failed request is reported; standard error by default.</param>
public sealed class CodeAssistant(InteractiveSession session, TextWriter? log = null) : IDisposable
{
    private readonly TextWriter _log = log ?? Console.Error;
    private readonly Lazy<SubmissionWorkspace> _workspace = new(() => new SubmissionWorkspace());

    public InteractiveSession Session => session;

    /// <summary>The completions at <paramref name="cursor"/> (a UTF-16 offset into <paramref name="code"/>; past the end is the end).</summary>
    public Task<Completions> CompleteAsync(string code, int cursor, CancellationToken cancellationToken = default) =>
        Answer("completion", new Completions([], cursor, cursor), async () =>
        {
            var position = Math.Clamp(cursor, 0, code.Length);
            var document = Cell(code);
            var service = CompletionService.GetService(document)!;
            var list = await service.GetCompletionsAsync(document, position, cancellationToken: cancellationToken);
            var span = list.Span;
            var typed = code[span.Start..Math.Max(span.Start, position)];
            var items = Filter(list.ItemsList, typed);
            var (start, end) = (span.Start, span.End);
            // No signatures: Roslyn rebinds the item for each description (60-150 ms apiece, measured), which put completion's
            // p95 at 200 ms with only the first 8 signed. Hover (inspect) gives the signature of the one a person picks.
            var kinds = items.Select(item => new CompletionKind(Insertion(item), Kind(item), start, end)).ToList();
            return new Completions([.. kinds.Select(k => k.Text)], start, end) { Kinds = kinds };
        });

    /// <summary>What hover shows for the symbol at <paramref name="cursor"/> (a UTF-16 offset), or null when there is none.</summary>
    /// <param name="detailLevel">Jupyter's detail_level: 0 the signature and summary, 1 everything the documentation says.</param>
    public Task<Inspection?> InspectAsync(string code, int cursor, int detailLevel, CancellationToken cancellationToken = default) =>
        Answer<Inspection?>("inspection", null, async () =>
        {
            var position = Math.Clamp(cursor, 0, code.Length);
            var document = Cell(code);
            var service = QuickInfoService.GetService(document)!;
            // A client asks at the end of a name or just after it (after "(" for a call): the symbol left of the cursor counts.
            var info = await service.GetQuickInfoAsync(document, position, cancellationToken);
            if (info is null && position > 0)
            {
                info = await service.GetQuickInfoAsync(document, position - 1, cancellationToken);
            }
            return info is null ? null : QuickInfoText.Of(info, detailLevel);
        });

    /// <summary>Builds the editor services and compiles the session so far, so that the first request a person makes is fast.</summary>
    public Task WarmUpAsync(CancellationToken cancellationToken = default) =>
        Task.Run(async () =>
        {
            await CompleteAsync("Console.", "Console.".Length, cancellationToken);
            await InspectAsync("Console.WriteLine", "Console.Write".Length, 0, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Whether the code is a whole submission, from the parser (a console client decides on Enter with it): complete,
    /// incomplete with the indent the next line takes, or invalid when no further line can make it compile.
    /// </summary>
    public static Completeness IsComplete(string code)
    {
        if (CellText.IsOnlyDirectives(code))
        {
            return new Completeness("complete");
        }
        var tree = SyntaxFactory.ParseSyntaxTree(CellText.WithoutDirectives(code), CSharpParseOptions.Default.WithKind(SourceCodeKind.Script).WithLanguageVersion(LanguageVersion.Latest));
        if (!SyntaxFactory.IsCompleteSubmission(tree))
        {
            return new Completeness("incomplete", new string(' ', 4 * OpenBraces(tree)));
        }
        return tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error) ? new Completeness("invalid") : new Completeness("complete");
    }

    private static int OpenBraces(SyntaxTree tree)
    {
        var depth = 0;
        foreach (var token in tree.GetRoot().DescendantTokens().Where(t => !t.IsMissing))
        {
            depth += token.Kind() switch { SyntaxKind.OpenBraceToken => 1, SyntaxKind.CloseBraceToken => -1, _ => 0 };
        }
        return Math.Max(depth, 0);
    }

    private Document Cell(string code) => _workspace.Value.Cell(code, session.Submissions, session.ReferencePaths);

    /// <summary>
    /// The items whose filter text starts with what is typed (any case), those matching its case first. Types from
    /// namespaces the session has not imported are left out: Roslyn offers them (the namespace as inline description)
    /// for an editor that adds the using on commit, and a Jupyter client inserts the bare name, which does not compile.
    /// </summary>
    private static List<CompletionItem> Filter(IReadOnlyList<CompletionItem> items, string typed) =>
        [.. items.Where(i => string.IsNullOrEmpty(i.InlineDescription) && i.FilterText.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .OrderBy(i => i.FilterText.StartsWith(typed, StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(i => i.SortText, StringComparer.OrdinalIgnoreCase)
            .ThenBy(i => i.DisplayText, StringComparer.Ordinal)];

    // What committing the item types: Roslyn keeps it apart from the display text where they differ (List<> inserts List).
    private static string Insertion(CompletionItem item) =>
        item.Properties.TryGetValue("InsertionText", out var text) && !string.IsNullOrEmpty(text) ? text : item.DisplayText;

    private static readonly ImmutableArray<string> KnownKinds =
    [
        WellKnownTags.Local, WellKnownTags.Parameter, WellKnownTags.Method, WellKnownTags.ExtensionMethod, WellKnownTags.Property,
        WellKnownTags.Field, WellKnownTags.Event, WellKnownTags.Constant, WellKnownTags.EnumMember, WellKnownTags.Class,
        WellKnownTags.Structure, WellKnownTags.Interface, WellKnownTags.Enum, WellKnownTags.Delegate, WellKnownTags.TypeParameter,
        WellKnownTags.Namespace, WellKnownTags.Keyword, WellKnownTags.Label, WellKnownTags.Snippet,
    ];

    /// <summary>The item's kind in lower case, as Roslyn tags it ("local", "method", "class", ...); "text" when it has none.</summary>
    private static string Kind(CompletionItem item) =>
        item.Tags.FirstOrDefault(KnownKinds.Contains)?.ToLowerInvariant() ?? "text";

    private async Task<T> Answer<T>(string what, T nothing, Func<Task<T>> answer)
    {
        try
        {
            return await answer();
        }
        catch (OperationCanceledException)
        {
            return nothing;
        }
        catch (Exception e)
        {
            // A request Roslyn cannot answer: the client gets nothing and the kernel keeps serving.
            await _log.WriteLineAsync($"mlops kernel: {what} failed: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            return nothing;
        }
    }

    public void Dispose()
    {
        if (_workspace.IsValueCreated)
        {
            _workspace.Value.Dispose();
        }
    }
}
