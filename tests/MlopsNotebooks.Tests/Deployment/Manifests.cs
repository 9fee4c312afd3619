using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Deployment;

/// <summary>Manifests as `mlops deploy --target kubernetes` writes them, read back as YAML, and the schema check over them.</summary>
internal static class Manifests
{
    private static string Tools => Path.Combine(Programs.RepositoryRoot, "tests", "tools");

    /// <summary>Runs `mlops deploy --target kubernetes` writing to <paramref name="output"/>, with the options given.</summary>
    public static (int ExitCode, string Output, string Error) Deploy(string output, params string[] options) =>
        // Run beside the output folder, outside any repository, so a tracking store at the test's git root (demo.sh leaves one) is not read.
        Programs.Run(Programs.Mlops, ["deploy", .. options, "--target", "kubernetes", "--output", output], Path.GetDirectoryName(Path.GetFullPath(output)));

    /// <summary>One manifest file as a tree of dictionaries and lists.</summary>
    public static Dictionary<object, object> Read(string file) =>
        new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(file));

    public static Dictionary<object, object> At(this Dictionary<object, object> node, params string[] path) =>
        path.Aggregate(node, (n, key) => (Dictionary<object, object>)n[key]);

    public static List<object> List(this Dictionary<object, object> node, string key) => (List<object>)node[key];

    /// <summary>validate-manifests.mjs (kubernetes-models and @kubernetes-models/argo-rollouts) over the files.</summary>
    public static (int ExitCode, string Output) Validate(IEnumerable<string> files)
    {
        if (!Directory.Exists(Path.Combine(Tools, "node_modules", "kubernetes-models")))
        {
            throw new Xunit.Sdk.XunitException("tests/tools/node_modules is missing; run ./test.sh (npm ci in tests/tools).");
        }
        var (code, output, error) = Programs.RunTool("node", ["validate-manifests.mjs", .. files], Tools);
        return (code, output + error);
    }
}
