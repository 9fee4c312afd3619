using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace MlopsNotebooks.Runner.Interactive;

/// <summary>
/// A cell's code with <see cref="CellInterrupt.Check"/> at the top of every loop body and every method, constructor,
/// accessor, lambda and local function body, so that an interrupt stops code that never waits (<c>while (true) {}</c>).
/// The check goes on the line of the opening brace, before its line break, and a loop's single statement gets its braces
/// on its own lines: no line moves, so errors and stack traces name the cell's own lines.
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
        return new StoppableCode().Visit(tree.GetRoot()).ToFullString();
    }

    public override SyntaxNode? VisitBlock(BlockSyntax node)
    {
        var block = (BlockSyntax)base.VisitBlock(node)!;
        return node.Parent is WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or CommonForEachStatementSyntax
            or BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax
            ? WithCheck(block)
            : block;
    }

    public override SyntaxNode? VisitWhileStatement(WhileStatementSyntax node)
    {
        var loop = (WhileStatementSyntax)base.VisitWhileStatement(node)!;
        return loop.WithStatement(Body(loop.Statement));
    }

    public override SyntaxNode? VisitDoStatement(DoStatementSyntax node)
    {
        var loop = (DoStatementSyntax)base.VisitDoStatement(node)!;
        return loop.WithStatement(Body(loop.Statement));
    }

    public override SyntaxNode? VisitForStatement(ForStatementSyntax node)
    {
        var loop = (ForStatementSyntax)base.VisitForStatement(node)!;
        return loop.WithStatement(Body(loop.Statement));
    }

    public override SyntaxNode? VisitForEachStatement(ForEachStatementSyntax node)
    {
        var loop = (ForEachStatementSyntax)base.VisitForEachStatement(node)!;
        return loop.WithStatement(Body(loop.Statement));
    }

    public override SyntaxNode? VisitForEachVariableStatement(ForEachVariableStatementSyntax node)
    {
        var loop = (ForEachVariableStatementSyntax)base.VisitForEachVariableStatement(node)!;
        return loop.WithStatement(Body(loop.Statement));
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
