using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Host.Mef;
using Microsoft.CodeAnalysis.Text;
using MlopsNotebooks.Runner;

namespace MlopsNotebooks.Kernel.Assist;

/// <summary>
/// A live session as Roslyn's editor services see it, built as the interactive window builds one: each submission a
/// project of its own (a script, the session's globals as host object) referencing the one before, and the cell being
/// typed as one more after the last. Submissions are added as the session runs them, so each compiles once and the
/// compilations are kept: a request recompiles the typed cell only, however long the notebook is.
/// </summary>
internal sealed class SubmissionWorkspace : IDisposable
{
    // The MEF composition of the editor services takes seconds; one per process, shared by every session.
    private static readonly Lazy<MefHostServices> Host = new(() => MefHostServices.Create(MefHostServices.DefaultAssemblies));

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    private static readonly CSharpCompilationOptions CompilationOptions = new(
        OutputKind.DynamicallyLinkedLibrary, usings: CSharpSession.DefaultImports, allowUnsafe: true);

    private readonly AdhocWorkspace _workspace = new(Host.Value);
    private readonly Lock _gate = new();
    private readonly ProjectId _cell;
    private readonly DocumentId _cellDocument;
    private ProjectId? _lastSubmission;
    private int _submissions;
    private int _referencePaths;

    public SubmissionWorkspace()
    {
        _cell = ProjectId.CreateNewId("cell");
        _cellDocument = DocumentId.CreateNewId(_cell, "cell.csx");
        var solution = _workspace.CurrentSolution
            .AddProject(Project(_cell, "Cell", [], MetadataReferences.For([])))
            .AddDocument(DocumentInfo.Create(_cellDocument, "cell.csx", sourceCodeKind: SourceCodeKind.Script));
        _workspace.TryApplyChanges(solution);
    }

    /// <summary>
    /// The typed cell as the document after the session's submissions so far (<paramref name="submissions"/> only grows,
    /// so the ones seen before are kept as they are).
    /// </summary>
    public Document Cell(string code, IReadOnlyList<string> submissions, IReadOnlyList<string> referencePaths)
    {
        Solution solution;
        lock (_gate)
        {
            solution = _workspace.CurrentSolution;
            if (submissions.Count > _submissions || referencePaths.Count > _referencePaths)
            {
                solution = Grow(solution, submissions, referencePaths);
                _workspace.TryApplyChanges(solution);
                solution = _workspace.CurrentSolution;
            }
        }
        // A fork of the solution, never applied: concurrent requests each see their own text.
        return solution.WithDocumentText(_cellDocument, SourceText.From(CellText.WithoutDirectives(code))).GetDocument(_cellDocument)!;
    }

    private Solution Grow(Solution solution, IReadOnlyList<string> submissions, IReadOnlyList<string> referencePaths)
    {
        var references = MetadataReferences.For(referencePaths);
        for (var i = _submissions; i < submissions.Count; i++)
        {
            var project = ProjectId.CreateNewId($"submission {i + 1}");
            var document = DocumentId.CreateNewId(project, $"cell-{i + 1}.csx");
            solution = solution
                .AddProject(Project(project, $"Submission{i + 1}", _lastSubmission is null ? [] : [new ProjectReference(_lastSubmission)], references))
                .AddDocument(DocumentInfo.Create(document, $"cell-{i + 1}.csx", sourceCodeKind: SourceCodeKind.Script,
                    loader: TextLoader.From(TextAndVersion.Create(SourceText.From(CellText.WithoutDirectives(submissions[i])), VersionStamp.Create()))));
            _lastSubmission = project;
        }
        _submissions = submissions.Count;
        _referencePaths = referencePaths.Count;
        return solution
            .WithProjectReferences(_cell, _lastSubmission is null ? [] : [new ProjectReference(_lastSubmission)])
            .WithProjectMetadataReferences(_cell, references);
    }

    private static ProjectInfo Project(ProjectId id, string name, IEnumerable<ProjectReference> previous, IEnumerable<MetadataReference> references) =>
        ProjectInfo.Create(id, VersionStamp.Create(), name, name, LanguageNames.CSharp, isSubmission: true,
            compilationOptions: CompilationOptions, parseOptions: ParseOptions, projectReferences: previous,
            metadataReferences: references, hostObjectType: CSharpSession.GlobalsType);

    public void Dispose() => _workspace.Dispose();
}

/// <summary>
/// The session's references for the editor services, with the assemblies' XML documentation where it can be found (beside
/// the assembly, or for the framework in the SDK's reference pack), so that hover shows a summary.
/// </summary>
internal static class MetadataReferences
{
    private static readonly Dictionary<string, MetadataReference> Loaded = new(StringComparer.Ordinal);

    private static readonly string? FrameworkDocs = FindFrameworkDocs();

    /// <summary>The session's default references and then <paramref name="paths"/>, each loaded once per process.</summary>
    public static IReadOnlyList<MetadataReference> For(IEnumerable<string> paths)
    {
        var all = CSharpSession.DefaultReferenceSet.OfType<PortableExecutableReference>().Select(r => r.FilePath).OfType<string>().Concat(paths);
        lock (Loaded)
        {
            return [.. all.Distinct(StringComparer.Ordinal).Select(Load)];
        }
    }

    private static MetadataReference Load(string path)
    {
        if (!Loaded.TryGetValue(path, out var reference))
        {
            var docs = Documentation(path);
            reference = MetadataReference.CreateFromFile(path, documentation: docs is null ? null : XmlDocumentationProvider.CreateFromFile(docs));
            Loaded[path] = reference;
        }
        return reference;
    }

    private static string? Documentation(string assembly)
    {
        var beside = Path.ChangeExtension(assembly, ".xml");
        if (File.Exists(beside))
        {
            return beside;
        }
        if (FrameworkDocs is null)
        {
            return null;
        }
        // The runtime's core library documents itself in the reference pack under the contract that exposes it.
        var name = Path.GetFileNameWithoutExtension(assembly) is "System.Private.CoreLib" ? "System.Runtime" : Path.GetFileNameWithoutExtension(assembly);
        var inPack = Path.Combine(FrameworkDocs, name + ".xml");
        return File.Exists(inPack) ? inPack : null;
    }

    // dotnet/shared/Microsoft.NETCore.App/<version>/ -> dotnet/packs/Microsoft.NETCore.App.Ref/<version>/ref/net<major>.<minor>/,
    // the same version when the SDK has it, else the newest there is.
    private static string? FindFrameworkDocs()
    {
        var runtime = new DirectoryInfo(RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar));
        var packs = Path.Combine(runtime.Parent?.Parent?.Parent?.FullName ?? "", "packs", "Microsoft.NETCore.App.Ref");
        if (!Directory.Exists(packs))
        {
            return null;
        }
        var framework = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
        return Directory.GetDirectories(packs)
            .OrderBy(v => Path.GetFileName(v) == runtime.Name ? 1 : 0).ThenBy(v => Version.TryParse(Path.GetFileName(v).Split('-')[0], out var parsed) ? parsed : new Version())
            .Select(v => Path.Combine(v, "ref", framework))
            .LastOrDefault(Directory.Exists);
    }
}
