using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace MlopsNotebooks.Runner.Interactive;

/// <summary>
/// A cell's code with <see cref="CellInterrupt.Check"/> at the top of every loop body and every method, constructor,
/// accessor, lambda and local function body, so that an interrupt stops code that never waits (<c>while (true) {}</c>).
/// The check goes on the line of the opening brace, before its line break, and a loop's single statement gets its braces
/// where it stands: no line moves, so errors and stack traces name the cell's own lines.
/// </summary>
internal sealed class StoppableCode : CSharpSyntaxRewriter
{
    private static readonly StatementSyntax CheckStatement =
        SyntaxFactory.ParseStatement($"global::{typeof(CellInterrupt).FullName}.{nameof(CellInterrupt.Check)}();").WithoutTrivia();

    private static readonly CSharpParseOptions Script = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    /// <summary>The code with the checks in; code that does not parse is left as it is (the compiler's errors name its own columns).</summary>
    public static string Insert(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, Script);
        if (tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            return code;
        }
        return new StoppableCode().Visit(tree.GetRoot())!.ToFullString();
    }

    public override SyntaxNode? Visit(SyntaxNode? node)
    {
        var visited = base.Visit(node);
        return visited switch
        {
            BlockSyntax block when node!.Parent is WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or CommonForEachStatementSyntax
                or BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax => WithCheck(block),
            WhileStatementSyntax loop => loop.WithStatement(Body(loop.Statement)),
            DoStatementSyntax loop => loop.WithStatement(Body(loop.Statement)),
            ForStatementSyntax loop => loop.WithStatement(Body(loop.Statement)),
            CommonForEachStatementSyntax loop => loop.WithStatement(Body(loop.Statement)),
            _ => visited,
        };
    }

    private static BlockSyntax WithCheck(BlockSyntax block)
    {
        var open = block.OpenBraceToken;
        return block.WithOpenBraceToken(open.WithTrailingTrivia()).WithStatements(block.Statements.Insert(0, CheckStatement.WithTrailingTrivia(open.TrailingTrivia)));
    }

    // A loop's single statement (its block was given its check already): braced where it stands, its trivia outside.
    private static StatementSyntax Body(StatementSyntax statement) => statement is BlockSyntax
        ? statement
        : SyntaxFactory.Block(
            SyntaxFactory.Token(statement.GetLeadingTrivia(), SyntaxKind.OpenBraceToken, SyntaxFactory.TriviaList()),
            SyntaxFactory.List([CheckStatement, statement.WithoutTrivia()]),
            SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.CloseBraceToken, statement.GetTrailingTrivia()));
}
