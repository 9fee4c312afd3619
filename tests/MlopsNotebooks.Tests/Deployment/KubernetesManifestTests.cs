using MlopsNotebooks.Deployment;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tests.Serving;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Deployment;

/// <summary>
/// `mlops deploy --target kubernetes`: the manifests it writes pass the Kubernetes and Argo Rollouts schemas, carry the
/// names, labels, probes and security settings a cluster expects, and bad input writes nothing.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string[] Plain = ["churn/3", "--image", "ghcr.io/acme/churn:3", "--environment", "staging"];

    private static readonly string[] Canary = [.. Plain, "--canary", "--canary-steps", "5,20,60", "--canary-step-duration", "2m", "--max-error-rate", "0.02", "--max-p99-ms", "250"];

    [Fact]
    public void Every_manifest_of_a_plain_deploy_and_of_a_canary_passes_the_kubernetes_schemas()
    {
        using var temp = new TempDirectory();
        foreach (var (folder, args, kinds) in new[]
        {
            ("plain", Plain, new[] { "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service" }),
            ("canary", Canary, new[] { "AnalysisTemplate", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Rollout", "Service" }),
        })
        {
            var (exit, output, error) = Manifests.Deploy(temp.File(folder), args);
            Assert.True(exit == 0, error);
            Assert.Contains($"kubectl apply -f {temp.File(folder)}", output);
            var files = Directory.GetFiles(temp.File(folder));
            Assert.Equal(kinds, files.Select(f => (string)Manifests.Read(f)["kind"]).Order(StringComparer.Ordinal));
            var (code, report) = Manifests.Validate(files);
            Assert.True(code == 0, report);
            Assert.Equal(kinds.Length, report.Split('\n').Count(l => l.EndsWith(": valid", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public void The_schema_check_refuses_a_broken_manifest()
    {
        using var temp = new TempDirectory();
        Assert.Equal(0, Manifests.Deploy(temp.Path, Canary).ExitCode);
        foreach (var (file, from, to) in new[]
        {
            ("churn-rollout.yaml", "containerPort: 8080", "containerPort: eighty"),
            ("churn-analysis-template.yaml", "failureLimit: 0", "failureLimit: []"),
            ("churn-service.yaml", "port: 80", "port: [80]"),
        })
        {
            var path = temp.File(file);
            var text = File.ReadAllText(path);
            Assert.Contains(from, text);
            File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
            var (code, report) = Manifests.Validate([path]);
            Assert.Equal(1, code);
            Assert.DoesNotContain(": valid", report);
            File.WriteAllText(path, text);
        }
        var unknown = temp.File("unknown.yaml");
        File.WriteAllText(unknown, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n");
        Assert.Equal(1, Manifests.Validate([unknown]).ExitCode);
    }

    [Fact]
    public void The_deployment_runs_the_image_as_a_non_root_user_with_probes_resources_labels_and_scrape_annotations()
    {
        using var temp = new TempDirectory();
        Assert.Equal(0, Manifests.Deploy(temp.Path, [.. Plain, "--namespace", "ml", "--cpu", "250m", "--memory", "1Gi", "--replicas", "3", "--min-replicas", "2", "--max-replicas", "6"]).ExitCode);
        var deployment = Manifests.Read(temp.File("churn-deployment.yaml"));
        Assert.Equal("ml", deployment.At("metadata")["namespace"]);
        Assert.Equal("3", deployment.At("spec")["replicas"]);
        var pod = deployment.At("spec", "template");
        var labels = pod.At("metadata", "labels");
        Assert.Equal("churn", labels["app.kubernetes.io/name"]);
        Assert.Equal("3", labels["app.kubernetes.io/version"]);
        Assert.Equal("mlops-notebooks", labels["app.kubernetes.io/part-of"]);
        Assert.Equal("3", labels["mlops-notebooks/model-version"]);
        Assert.Equal(new Dictionary<object, object> { ["app.kubernetes.io/name"] = "churn" }, deployment.At("spec", "selector", "matchLabels"));
        var annotations = pod.At("metadata", "annotations");
        Assert.Equal(("true", "8080", "/metrics"), ((string)annotations["prometheus.io/scrape"], (string)annotations["prometheus.io/port"], (string)annotations["prometheus.io/path"]));
        Assert.Equal("staging", annotations["mlops-notebooks/environment"]);
        Assert.Equal("1654", pod.At("spec", "securityContext")["runAsUser"]);
        Assert.Equal("true", pod.At("spec", "securityContext")["runAsNonRoot"]);
        var container = (Dictionary<object, object>)Assert.Single(pod.At("spec").List("containers"));
        Assert.Equal("ghcr.io/acme/churn:3", container["image"]);
        Assert.Equal("8080", ((Dictionary<object, object>)Assert.Single(container.List("ports")))["containerPort"]);
        Assert.Equal("false", container.At("securityContext")["allowPrivilegeEscalation"]);
        Assert.Equal("true", container.At("securityContext")["readOnlyRootFilesystem"]);
        Assert.Equal(["ALL"], container.At("securityContext", "capabilities").List("drop"));
        Assert.Equal(new Dictionary<object, object> { ["cpu"] = "250m", ["memory"] = "1Gi" }, container.At("resources", "limits"));
        Assert.Equal(new Dictionary<object, object> { ["cpu"] = "250m", ["memory"] = "1Gi" }, container.At("resources", "requests"));
        Assert.Equal(HealthPaths.Live, container.At("livenessProbe", "httpGet")["path"]);
        Assert.Equal(HealthPaths.Ready, container.At("readinessProbe", "httpGet")["path"]);
        Assert.Equal(HealthPaths.Ready, container.At("startupProbe", "httpGet")["path"]);

        var service = Manifests.Read(temp.File("churn-service.yaml")).At("spec");
        Assert.Equal("ClusterIP", service["type"]);
        var port = (Dictionary<object, object>)Assert.Single(service.List("ports"));
        Assert.Equal(("80", "http"), ((string)port["port"], (string)port["targetPort"]));
        var hpa = Manifests.Read(temp.File("churn-horizontal-pod-autoscaler.yaml")).At("spec");
        Assert.Equal(("2", "6", "Deployment"), ((string)hpa["minReplicas"], (string)hpa["maxReplicas"], (string)hpa.At("scaleTargetRef")["kind"]));
        Assert.Equal("1", Manifests.Read(temp.File("churn-pod-disruption-budget.yaml")).At("spec")["minAvailable"]);
    }

    [Fact]
    public void A_single_pod_gets_a_disruption_budget_that_still_lets_a_node_drain()
    {
        using var temp = new TempDirectory();
        Assert.Equal(0, Manifests.Deploy(temp.Path, [.. Plain, "--replicas", "1", "--min-replicas", "1"]).ExitCode);
        var budget = Manifests.Read(temp.File("churn-pod-disruption-budget.yaml")).At("spec");
        Assert.Equal("1", budget["maxUnavailable"]);
        Assert.False(budget.ContainsKey("minAvailable"));
    }

    [Fact]
    public void A_canary_rollout_takes_its_steps_and_rules_from_the_canary_options()
    {
        using var temp = new TempDirectory();
        Assert.Equal(0, Manifests.Deploy(temp.Path, [.. Canary, "--prometheus-url", "http://prom.example:9090"]).ExitCode);
        var canary = Manifests.Read(temp.File("churn-rollout.yaml")).At("spec", "strategy", "canary");
        Assert.Equal(["setWeight=5", "pause=120s", "setWeight=20", "pause=120s", "setWeight=60", "pause=120s"], canary.List("steps").Cast<Dictionary<object, object>>()
            .Select(s => s.ContainsKey("setWeight") ? $"setWeight={s["setWeight"]}" : $"pause={s.At("pause")["duration"]}"));
        Assert.Equal("churn-canary", ((Dictionary<object, object>)Assert.Single(canary.At("analysis").List("templates")))["templateName"]);
        var template = Manifests.Read(temp.File("churn-analysis-template.yaml"));
        Assert.Equal("churn-canary", template.At("metadata")["name"]);
        var metrics = template.At("spec").List("metrics").Cast<Dictionary<object, object>>().ToDictionary(m => (string)m["name"]);
        Assert.Equal(["error-rate", "p99-latency", "requests"], metrics.Keys.Order(StringComparer.Ordinal));
        Assert.All(metrics.Values, m => Assert.Equal("http://prom.example:9090", m.At("provider", "prometheus")["address"]));
        Assert.EndsWith("result[0] <= 0.02", (string)metrics["error-rate"]["successCondition"]);
        Assert.EndsWith("result[0] <= 0.25", (string)metrics["p99-latency"]["successCondition"]);
        Assert.EndsWith("result[0] >= 20", (string)metrics["requests"]["successCondition"]);
        Assert.Contains("[120s]", (string)metrics["error-rate"].At("provider", "prometheus")["query"]);
        Assert.Equal("0", metrics["error-rate"]["failureLimit"]);
        Assert.Equal("Rollout", Manifests.Read(temp.File("churn-horizontal-pod-autoscaler.yaml")).At("spec", "scaleTargetRef")["kind"]);
    }

    [Fact]
    public void Writing_a_canary_where_a_plain_deploy_was_written_leaves_no_deployment_beside_the_rollout()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("other.yaml"), "kept");
        Assert.Equal(0, Manifests.Deploy(temp.Path, Plain).ExitCode);
        Assert.Equal(0, Manifests.Deploy(temp.Path, Canary).ExitCode);
        Assert.False(File.Exists(temp.File("churn-deployment.yaml")));
        Assert.True(File.Exists(temp.File("churn-rollout.yaml")));
        Assert.Equal("kept", File.ReadAllText(temp.File("other.yaml")));
        Assert.Equal(0, Manifests.Deploy(temp.Path, Plain).ExitCode);
        Assert.False(File.Exists(temp.File("churn-rollout.yaml")));
        Assert.False(File.Exists(temp.File("churn-analysis-template.yaml")));
    }

    [Theory]
    [InlineData("churn", "churn")]
    [InlineData("Churn_Model.v2", "churn-model-v2")]
    [InlineData("a-b", "a-b")]
    public void Model_names_become_dns_names(string model, string name) => Assert.Equal(name, KubernetesNames.ForModel(model));

    [Theory]
    [InlineData("3churn")]
    [InlineData("churn_")]
    [InlineData("churn.")]
    [InlineData("-churn")]
    [InlineData("")]
    public void Model_names_that_still_do_not_fit_after_mapping_are_refused(string model)
    {
        var e = Assert.Throws<InvalidNameException>(() => KubernetesNames.ForModel(model));
        Assert.Contains("start with a letter", e.Message);
        Assert.NotNull(e.Hint);
        Assert.Throws<InvalidNameException>(() => KubernetesNames.ForModel(new string('a', 64)));
    }

    public static TheoryData<string[], int, string> BadInputs() => new()
    {
        { ["churn/3", "--image", "i:1", "--environment", "staging", "--target", "nomad", "--output", "out"], 2, "nomad" },
        { ["churn/3", "--image", "i:1", "--environment", "staging", "--target", "kubernetes"], 2, "--output" },
        { ["churn/3", "--environment", "staging", "--target", "kubernetes", "--output", "out"], 2, "--image" },
        { ["churn/3", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "out", "--canary", "--canary-steps", "50,25"], 1, "rising" },
        { ["churn/3", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "out", "--canary", "--canary-steps", "10,x"], 1, "'x'" },
        { ["churn/3", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "out", "--canary", "--canary-step-duration", "soon"], 1, "not a duration" },
        { ["churn/3", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "out", "--canary", "--max-error-rate", "1.5"], 1, "error rate" },
        { ["churn/3", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "out", "--canary", "--max-p99-ms", "-1"], 1, "--max-p99-ms" },
        { ["churn/3", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "out", "--canary", "--prometheus-url", "prom:9090"], 1, "--prometheus-url" },
        { ["3churn/3", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "out"], 1, "not a Kubernetes name" },
        { ["churn/3", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "out", "--namespace", "ML_Prod"], 1, "namespace" },
        { ["churn/3", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "out", "--replicas", "9"], 1, "Replicas" },
        { ["churn/3", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "out", "--cpu", "lots"], 1, "--cpu" },
        { ["churn/3", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "out", "--memory", "0Mi"], 1, "--memory" },
        { ["churn/3", "--image", "i 1", "--environment", "staging", "--target", "kubernetes", "--output", "out"], 1, "image" },
        { ["churn/3", "--image", "ghcr.io/Acme/Churn:3", "--environment", "staging", "--target", "kubernetes", "--output", "out"], 1, "not an image reference" },
        { ["churn/3", "--image", "ghcr.io/acme/../churn:3", "--environment", "staging", "--target", "kubernetes", "--output", "out"], 1, "not an image reference" },
        { ["churn/3", "--image", "ghcr.io/acme/churn", "--environment", "staging", "--target", "kubernetes", "--output", "out"], 1, "not an image reference" },
        { ["churn/3", "--image", "ghcr.io/acme/churn:3\u001b[2J", "--environment", "staging", "--target", "kubernetes", "--output", "out"], 1, "not an image reference" },
        { ["churn/3", "--image", "i:1", "--environment", "prod env", "--target", "kubernetes", "--output", "out"], 1, "environment" },
        { ["churn/3", "--image", "i:1", "--environment", "latest", "--target", "kubernetes", "--output", "out"], 1, "environment" },
        { ["churn", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "out"], 1, "name@alias" },
        { ["churn@production", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "out"], 1, "tracking store" },
        { ["churn/3", "--image", "i:1", "--environment", "staging", "--target", "kubernetes", "--output", "taken"], 1, "is a file" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_input_exits_with_a_message_and_a_hint_and_writes_nothing(string[] args, int expected, string says)
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("taken"), "a file");
        var (exit, output, error) = Programs.Run(Programs.Mlops, ["deploy", .. args], temp.Path);
        Assert.True(exit == expected, $"exit {exit}: {output}{error}");
        Assert.Contains(says, error);
        Assert.StartsWith("error: ", error);
        Assert.True(error.Trim().Split('\n').Length >= 2, error); // a message and what to do
        Assert.DoesNotContain("   at ", output + error);
        Assert.Equal(["taken"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_registered_version_is_read_from_the_registry_and_writing_manifests_moves_no_alias()
    {
        using var bundle = new ServedBundle();
        using var temp = new TempDirectory();
        var (exit, output, error) = Programs.Run(Programs.Mlops,
            ["deploy", "churn@candidate", "--target", "kubernetes", "--image", "ghcr.io/acme/churn:1", "--environment", "production", "--output", temp.Path, "--tracking-uri", bundle.StoreUri, "--json"]);
        Assert.True(exit == 0, error);
        var json = System.Text.Json.Nodes.JsonNode.Parse(output)!;
        Assert.Equal(("written", "churn", 1, "production"), ((string)json["status"]!, (string)json["model"]!, (int)json["version"]!, (string)json["environment"]!));
        Assert.Equal(4, json["files"]!.AsArray().Count);
        Assert.Equal("1", Manifests.Read(temp.File("churn-deployment.yaml")).At("metadata", "labels")["app.kubernetes.io/version"]);
        using var client = new TrackingClient(bundle.StoreUri);
        Assert.Equal(["candidate"], new ModelRegistry(client).Get("churn/1").Aliases);

        // A version the registry does not hold, and an alias it does not know, are refused there.
        foreach (var missing in new[] { "churn/7", "churn@production", "ghost/1" })
        {
            using var empty = new TempDirectory();
            (exit, _, error) = Programs.Run(Programs.Mlops,
                ["deploy", missing, "--target", "kubernetes", "--image", "i:1", "--environment", "production", "--output", empty.File("out"), "--tracking-uri", bundle.StoreUri]);
            Assert.Equal(1, exit);
            Assert.Contains($"No model version matches '{missing}'", error);
            Assert.False(Directory.Exists(empty.File("out")));
        }
    }
}
