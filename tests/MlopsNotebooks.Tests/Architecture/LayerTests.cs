using System.Reflection;
using NetArchTest.Rules;

namespace MlopsNotebooks.Tests.Architecture;

/// <summary>
/// The house's rules (README, "Architecture"): the core references no host package, and no layer references one above
/// it. Layers, bottom up: the core; the notebook package; the runner and the GitHub side beside each other; the `mlops`
/// tool over all.
/// </summary>
public sealed class LayerTests
{
    private static readonly Assembly Core = typeof(MlopsNotebooks.Tracking.TrackingClient).Assembly;
    private static readonly Assembly NotebookPackage = typeof(MlopsNotebooks.Magics.MlopsMagics).Assembly;
    private static readonly Assembly Runner = typeof(MlopsNotebooks.Runner.NotebookRunner).Assembly;
    private static readonly Assembly GitHub = typeof(MlopsNotebooks.GitHub.Toolkit.ActionRunner).Assembly;
    private static readonly Assembly Tool = Assembly.Load("mlops");

    // Namespaces of our hosts, each layer's own.
    private const string Magics = "MlopsNotebooks.Magics";
    private const string Display = "MlopsNotebooks.Display";
    private const string RunnerNamespace = "MlopsNotebooks.Runner";
    private const string GitHubNamespace = "MlopsNotebooks.GitHub";
    private const string Cli = "MlopsNotebooks.Cli";

    // Host packages: the notebook kernel, charts, GitHub, containers, the web, Roslyn, the command line; and the heavy SDKs
    // that stay out of what notebooks load (a PostgreSQL store or a blob remote is an assembly of its own).
    private static readonly string[] HostPackages =
    [
        "Microsoft.DotNet.Interactive", "Microsoft.AspNetCore", "Plotly", "FSharp", "Octokit", "Docker", "k8s",
        "Microsoft.CodeAnalysis", "System.CommandLine", "Prometheus", "Yarp", "NetMQ", "Npgsql", "Azure", "Amazon",
    ];

    // What the core may reference, by assembly name: the runtime, SQLite, ML.NET, YAML, CSV (data checks), globs
    // (notebook patterns) and MathNet.Numerics (the incomplete gamma and normal functions behind drift's p-values). A new dependency of the core is a decision; it is made here.
    private static readonly string[] CoreMayReference =
    [
        "System.", "Microsoft.Win32.", "netstandard", "mscorlib", "Microsoft.Data.Sqlite", "Microsoft.ML", "YamlDotNet", "CsvHelper",
        "Microsoft.Extensions.FileSystemGlobbing", "MathNet.Numerics",
    ];

    private static void AssertNoDependency(Assembly layer, params string[] namespaces)
    {
        var result = Types.InAssembly(layer).ShouldNot().HaveDependencyOnAny(namespaces).GetResult();
        Assert.True(result.IsSuccessful,
            $"{layer.GetName().Name} depends on {string.Join(", ", namespaces)} in: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    /// <summary>The types of one namespace of <paramref name="layer"/> depend on none of <paramref name="namespaces"/>.</summary>
    private static void AssertNoDependency(Assembly layer, string within, params string[] namespaces)
    {
        var result = Types.InAssembly(layer).That().ResideInNamespace(within).ShouldNot().HaveDependencyOnAny(namespaces).GetResult();
        Assert.True(result.IsSuccessful,
            $"{within} depends on {string.Join(", ", namespaces)} in: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void The_core_references_no_host_package_and_no_host_of_ours()
    {
        AssertNoDependency(Core, [.. HostPackages, Magics, Display, RunnerNamespace, GitHubNamespace, Cli]);
    }

    [Fact]
    public void The_core_references_only_the_assemblies_it_is_allowed()
    {
        var referenced = Core.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Contains("Microsoft.Data.Sqlite", referenced);
        Assert.All(referenced, name => Assert.True(CoreMayReference.Any(allowed => name == allowed || name.StartsWith(allowed, StringComparison.Ordinal)),
            $"the core references {name}"));
    }

    [Fact]
    public void The_notebook_package_references_no_layer_above_it_nor_a_package_of_the_repository_side()
    {
        AssertNoDependency(NotebookPackage, RunnerNamespace, GitHubNamespace, Cli, "Octokit", "Docker", "k8s", "Microsoft.AspNetCore",
            "Microsoft.CodeAnalysis", "System.CommandLine", "Npgsql", "Azure", "Amazon");
        // Checked on the assembly as well, which sees every use (a lambda's too): the kernel that loads the package runs
        // its own, older Roslyn, and a reference to ours would fail to load there.
        Assert.DoesNotContain(NotebookPackage.GetReferencedAssemblies(), a => a.Name!.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal));
    }

    [Fact]
    public void The_model_server_references_neither_the_notebook_package_nor_the_tool_and_nothing_below_references_ASP_NET()
    {
        var server = typeof(MlopsNotebooks.Serving.ModelServer).Assembly;
        AssertNoDependency(server, Magics, Display, RunnerNamespace, GitHubNamespace, Cli, "Microsoft.DotNet.Interactive", "Microsoft.CodeAnalysis", "System.CommandLine");
        Assert.DoesNotContain(NotebookPackage.GetReferencedAssemblies(), a => a.Name!.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(Core.GetReferencedAssemblies(), a => a.Name!.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || a.Name == "Prometheus.NetStandard");
    }

    [Fact]
    public void The_team_backends_reference_the_core_and_their_SDKs_only_and_the_notebook_package_does_not_reference_them()
    {
        var team = typeof(MlopsNotebooks.TeamStores.TeamStoresModule).Assembly;
        Assert.Equal(MlopsNotebooks.Storage.TeamBackends.AssemblyName, team.GetName().Name);
        AssertNoDependency(team, Magics, Display, RunnerNamespace, GitHubNamespace, Cli, "Microsoft.DotNet.Interactive", "Microsoft.AspNetCore",
            "Plotly", "Octokit", "Docker", "System.CommandLine");
        // Loaded by name when a URI asks for it, never referenced: what notebooks load stays free of the SDKs.
        Assert.DoesNotContain(NotebookPackage.GetReferencedAssemblies(), a => a.Name == team.GetName().Name);
        Assert.DoesNotContain(Core.GetReferencedAssemblies(), a => a.Name == team.GetName().Name);
    }

    [Fact]
    public void The_runner_references_neither_the_GitHub_side_nor_the_tool()
    {
        AssertNoDependency(Runner, GitHubNamespace, Cli, "Octokit", "System.CommandLine");
    }

    [Fact]
    public void The_GitHub_side_references_neither_the_runner_nor_the_tool()
    {
        // Validation takes notebook runs through INotebookExecutor; the tool gives it the runner.
        AssertNoDependency(GitHub, RunnerNamespace, "Microsoft.CodeAnalysis", Cli, "System.CommandLine");
    }

    [Fact]
    public void Inside_the_core_views_are_on_top_validation_over_the_domain_and_notebook_files_and_search_below()
    {
        // Text and JSON views read the domain; nothing in it renders (the chart that Tracking returned was the last).
        string[] domain = ["MlopsNotebooks.Tracking", "MlopsNotebooks.Storage", "MlopsNotebooks.Versioning", "MlopsNotebooks.Registry",
            "MlopsNotebooks.Search", "MlopsNotebooks.Validation", "MlopsNotebooks.Notebooks"];
        foreach (var ns in domain)
        {
            AssertNoDependency(Core, ns, "MlopsNotebooks.Views");
        }
        // Validation reads runs and data; nothing below it knows about validation.
        foreach (var ns in domain.Where(n => n != "MlopsNotebooks.Validation"))
        {
            AssertNoDependency(Core, ns, "MlopsNotebooks.Validation");
        }
        // Notebook files are read by everyone and read nothing of ours; search works on runs alone.
        AssertNoDependency(Core, "MlopsNotebooks.Notebooks", [.. domain.Where(n => n != "MlopsNotebooks.Notebooks")]);
        AssertNoDependency(Core, "MlopsNotebooks.Search", "MlopsNotebooks.Storage", "MlopsNotebooks.Versioning", "MlopsNotebooks.Registry");
    }

    [Fact]
    public void The_rules_find_a_dependency_where_there_is_one()
    {
        // The same rule over a layer that does use a host package fails, and names the type: the checks can fail.
        var charts = Types.InAssembly(NotebookPackage).ShouldNot().HaveDependencyOnAny("Plotly").GetResult();
        Assert.False(charts.IsSuccessful);
        Assert.Contains("MlopsNotebooks.Display.RunCharts", charts.FailingTypeNames);
        var tool = Types.InAssembly(Tool).ShouldNot().HaveDependencyOnAny(GitHubNamespace).GetResult();
        Assert.False(tool.IsSuccessful);
    }
}
