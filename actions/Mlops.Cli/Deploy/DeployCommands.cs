using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MlopsNotebooks.Deployment;
using MlopsNotebooks.Deployment.Containers;
using MlopsNotebooks.Deployment.Docker;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Registry;

namespace MlopsNotebooks.Cli.Deploy;

/// <summary>
/// <c>mlops deploy</c>: one model version, as an image, to one environment, through a deployment target picked by
/// --target. Kubernetes writes manifests (nothing is deployed yet, so no alias moves); a target is one entry in
/// <see cref="Targets"/>.
/// </summary>
internal static partial class DeployCommands
{
    /// <summary>The targets by name: each makes its <see cref="IDeploymentTarget"/> from the settings, with what it holds open.</summary>
    private static readonly Dictionary<string, Func<DeploySettings, CancellationToken, Task<(IDeploymentTarget Target, IDisposable? Holds)>>> Targets = new(StringComparer.Ordinal)
    {
        ["docker"] = async (s, cancellationToken) =>
        {
            var options = new DockerTargetOptions
            {
                Port = s.Docker.Port is > 0 and <= 65535 ? s.Docker.Port
                    : throw new MlopsException($"--port {s.Docker.Port} is not a port.", "Give the stable address's port, from 1 to 65535."),
                Bind = System.Net.IPAddress.TryParse(s.Docker.Bind, out _) ? s.Docker.Bind
                    : throw new MlopsException($"--bind '{s.Docker.Bind}' is not an IP address.", "Use 127.0.0.1 (the default) or 0.0.0.0 for every interface."),
                ReadyTimeout = Arguments.Duration(s.Docker.ReadyTimeout, "--ready-timeout"),
            };
            var docker = await DockerEngine.ConnectAsync(cancellationToken);
            var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            return (new DockerTarget(docker, options, http), new Holds(docker, http));
        },
        ["kubernetes"] = (s, _) => Task.FromResult<(IDeploymentTarget, IDisposable?)>(
            (new KubernetesTarget(new KubernetesOptions(s.Output!, s.Namespace, s.Replicas, s.MinReplicas, s.MaxReplicas, s.Cpu, s.Memory, s.PrometheusUrl)), null)),
    };

    private sealed class Holds(params IDisposable[] held) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in held)
            {
                item.Dispose();
            }
        }
    }

    [GeneratedRegex(@"^(models:/)?(?<name>[A-Za-z0-9][A-Za-z0-9_.-]*)(/(?<version>[0-9]+)|@(?<alias>[A-Za-z0-9_.-]+))$")]
    private static partial Regex Reference();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex EnvironmentName();

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "name@alias or name/3: the registered version the image serves (name/3 also without a registry)." };
        var target = new Option<string>("--target") { Description = "Where to deploy: docker (this machine's engine, or DOCKER_HOST: blue-green or canary behind a proxy) or kubernetes (writes manifests).", DefaultValueFactory = _ => "docker" };
        target.AcceptOnlyFromAmong([.. Targets.Keys]);
        var image = new Option<string>("--image") { Description = "The image that serves the version (repository:tag or repository@digest).", Required = true };
        var environment = new Option<string>("--environment") { Description = "dev, staging or production: the registry alias a successful deploy moves.", Required = true };
        var output = new Option<string?>("--output") { Description = "(kubernetes) The folder to write the manifests to." };
        var ns = new Option<string>("--namespace") { Description = "(kubernetes) The namespace.", DefaultValueFactory = _ => "default" };
        var replicas = new Option<int>("--replicas") { Description = "(kubernetes) Pods at first.", DefaultValueFactory = _ => 2 };
        var minReplicas = new Option<int>("--min-replicas") { Description = "(kubernetes) The fewest pods the autoscaler keeps.", DefaultValueFactory = _ => 2 };
        var maxReplicas = new Option<int>("--max-replicas") { Description = "(kubernetes) The most pods the autoscaler starts.", DefaultValueFactory = _ => 5 };
        var cpu = new Option<string>("--cpu") { Description = "(kubernetes) Each pod's CPU request and limit.", DefaultValueFactory = _ => "500m" };
        var memory = new Option<string>("--memory") { Description = "(kubernetes) Each pod's memory request and limit.", DefaultValueFactory = _ => "512Mi" };
        var canary = new Option<bool>("--canary") { Description = "Move traffic step by step, judged on error rate and p99 latency (kubernetes: an Argo Rollouts Rollout)." };
        var policy = CanaryPolicy.Default;
        var steps = new Option<string>("--canary-steps") { Description = "Traffic shares in percent, rising.", DefaultValueFactory = _ => string.Join(',', policy.Steps) };
        var stepDuration = new Option<string>("--canary-step-duration") { Description = "How long each share is held: 90s, 1m, 2h.", DefaultValueFactory = _ => "1m" };
        var maxErrorRate = new Option<double>("--max-error-rate") { Description = "The most 5xx answers per prediction request.", DefaultValueFactory = _ => policy.MaxErrorRate };
        var maxP99 = new Option<double>("--max-p99-ms") { Description = "The slowest p99 latency in milliseconds.", DefaultValueFactory = _ => policy.MaxP99Latency.TotalMilliseconds };
        var port = new Option<int>("--port") { Description = "(docker) The host port of the environment's stable address (its proxy).", DefaultValueFactory = _ => 8080 };
        var bind = new Option<string>("--bind") { Description = "(docker) The host address the proxy and the versions publish on.", DefaultValueFactory = _ => "127.0.0.1" };
        var readyTimeout = new Option<string>("--ready-timeout") { Description = "(docker) How long a new version may take to get ready: 60s, 2m.", DefaultValueFactory = _ => "60s" };
        var prometheus = new Option<string>("--prometheus-url") { Description = "(kubernetes) The Prometheus the canary analysis queries.", DefaultValueFactory = _ => KubernetesOptions.DefaultPrometheusUrl };
        var command = new Command("deploy", "Deploy a model version's image to an environment: on a Docker engine, blue-green or canary with rollback; for Kubernetes, manifests for kubectl or a GitOps tool.")
        {
            model, target, image, environment, output, ns, replicas, minReplicas, maxReplicas, cpu, memory,
            canary, steps, stepDuration, maxErrorRate, maxP99, prometheus, port, bind, readyTimeout, GlobalOptions.Json,
        };
        command.Validators.Add(result =>
        {
            // The target's token, not its value: a value outside the accepted ones is the parser's error already.
            if (result.GetResult(target)?.Tokens.FirstOrDefault()?.Value == "kubernetes" && string.IsNullOrWhiteSpace(result.GetValue(output)))
            {
                result.AddError("--target kubernetes writes manifests: give the folder with --output DIR.");
            }
        });
        return command.Handles(parse => new DeploySettings(parse.GetValue(model)!, parse.GetValue(target)!, parse.GetValue(image)!, parse.GetValue(environment)!,
            parse.GetValue(output), parse.GetValue(ns)!, parse.GetValue(replicas), parse.GetValue(minReplicas), parse.GetValue(maxReplicas),
            parse.GetValue(cpu)!, parse.GetValue(memory)!,
            parse.GetValue(canary) ? new CanarySettings(parse.GetValue(steps)!, parse.GetValue(stepDuration)!, parse.GetValue(maxErrorRate), parse.GetValue(maxP99)) : null,
            parse.GetValue(prometheus)!, new DockerSettings(parse.GetValue(port), parse.GetValue(bind)!, parse.GetValue(readyTimeout)!)), Deploy);
    }

    public static async Task<int> Deploy(DeploySettings settings, CliContext cli, CancellationToken cancellationToken)
    {
        var deployed = await DeployAsync(settings, cli, new LineLog(cli.Json ? cli.Error : cli.Output), cancellationToken);
        cli.Write(Json(deployed), Text(deployed));
        return deployed.Outcome.Succeeded ? MlopsCli.Ok : MlopsCli.UserError;
    }

    /// <summary><c>mlops action deploy</c>: the same, configured by INPUT_* as the runner sets them, with outputs status, alias-moved and files.</summary>
    public static Command ActionDeploy()
    {
        var command = new Command("deploy", "The deploy action: read INPUT_* as the runner sets them, deploy, set outputs.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var actions = ActionRunner.FromProcess();
            var policy = CanaryPolicy.Default;
            var settings = new DeploySettings(actions.RequiredInput("model"), actions.Input("target") ?? "docker", actions.RequiredInput("image"),
                actions.RequiredInput("environment"), actions.Input("output"), actions.Input("namespace") ?? "default",
                Whole(actions, "replicas", 2), Whole(actions, "min-replicas", 2), Whole(actions, "max-replicas", 5),
                actions.Input("cpu") ?? "500m", actions.Input("memory") ?? "512Mi",
                actions.BooleanInput("canary")
                    ? new CanarySettings(actions.Input("canary-steps") ?? string.Join(',', policy.Steps), actions.Input("canary-step-duration") ?? "1m",
                        Arguments.Number(actions, "max-error-rate", policy.MaxErrorRate), Arguments.Number(actions, "max-p99-ms", policy.MaxP99Latency.TotalMilliseconds))
                    : null,
                actions.Input("prometheus-url") ?? KubernetesOptions.DefaultPrometheusUrl,
                new DockerSettings(Whole(actions, "port", 8080), actions.Input("bind") ?? "127.0.0.1", actions.Input("ready-timeout") ?? "60s"));
            var deployed = await DeployAsync(settings, new CliContext(parse), new LineLog(actions), cancellationToken);
            actions.SetOutput("status", Status(deployed.Outcome));
            actions.SetOutput("alias-moved", deployed.AliasMoved ? "true" : "false");
            actions.SetOutput("files", string.Join('\n', deployed.Outcome.Files));
            actions.Log(Text(deployed).TrimEnd());
            return deployed.Outcome.Succeeded ? MlopsCli.Ok : MlopsCli.UserError;
        });
        return command;
    }

    private static int Whole(ActionRunner actions, string input, int fallback) =>
        actions.Input(input) is not { } text ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
        : throw new MlopsException($"The input {input} is '{text}', not a whole number.", $"Give {input} as digits, e.g. {fallback}.");

    /// <summary>Checks every input, deploys through the target, and moves the environment's alias when the new version took all traffic.</summary>
    private static async Task<Deployed> DeployAsync(DeploySettings settings, CliContext cli, IProgress<string> log, CancellationToken cancellationToken)
    {
        if (!Targets.TryGetValue(settings.Target, out var make))
        {
            throw new MlopsException($"'{settings.Target}' is not a deployment target.", $"Use one of: {string.Join(", ", Targets.Keys)}.");
        }
        if (settings.Target == "kubernetes" && string.IsNullOrWhiteSpace(settings.Output))
        {
            throw new MlopsException("The kubernetes target writes manifests: give the folder to write them to.", "Give --output DIR (output in the action).");
        }
        if (!EnvironmentName().IsMatch(settings.Environment) || settings.Environment == "latest")
        {
            throw new InvalidNameException($"'{settings.Environment}' is not an environment name: a deploy moves the registry alias of that name.",
                "Use letters, digits, '-', '_' and '.', e.g. dev, staging or production.");
        }
        var (name, version) = Resolve(settings.Model, cli);
        var request = new DeploymentRequest(name, version, settings.Image, settings.Environment, settings.Canary is { } c ? Policy(c) : null);
        var (target, holds) = await make(settings, cancellationToken);
        DeploymentOutcome outcome;
        using (holds)
        {
            outcome = await target.DeployAsync(request, log, cancellationToken);
        }
        var moved = outcome.Status == DeploymentStatus.Promoted && MoveAlias(name, settings.Environment, version, cli);
        return new Deployed(settings, name, version, outcome, moved);
    }

    private static string Status(DeploymentOutcome outcome) => outcome.Status switch
    {
        DeploymentStatus.RolledBack => "rolled-back",
        var status => status.ToString().ToLowerInvariant(),
    };

    private sealed record Deployed(DeploySettings Settings, string Name, int Version, DeploymentOutcome Outcome, bool AliasMoved);

    private static JsonObject Json(Deployed d) => new()
    {
        ["status"] = Status(d.Outcome),
        ["model"] = d.Name,
        ["version"] = d.Version,
        ["environment"] = d.Settings.Environment,
        ["target"] = d.Settings.Target,
        ["image"] = d.Settings.Image,
        ["files"] = new JsonArray([.. d.Outcome.Files.Select(f => JsonValue.Create(f))]),
        ["message"] = d.Outcome.Message,
        ["alias_moved"] = d.AliasMoved,
    };

    private static string Text(Deployed d) =>
        string.Concat(d.Outcome.Files.Select(f => $"wrote {f}\n")) + d.Outcome.Message + "\n"
        + (d.AliasMoved ? $"{d.Name}@{d.Settings.Environment} now names version {d.Version}.\n" : "")
        + (d.Outcome.Status == DeploymentStatus.Promoted && !d.AliasMoved ? $"No registry here, so no alias moved; run mlops models alias {d.Name} {d.Settings.Environment} {d.Version} where the registry is.\n" : "")
        + (d.Outcome.Status == DeploymentStatus.Written ? $"Nothing is deployed yet and no alias moved: after a successful rollout, run mlops models alias {d.Name} {d.Settings.Environment} {d.Version}\n" : "");

    /// <summary>
    /// The model's name and version: name@alias from the registry; name/3 checked against the registry when there is one,
    /// taken as given when there is none (the image names what it serves).
    /// </summary>
    private static (string Name, int Version) Resolve(string reference, CliContext cli)
    {
        var match = Reference().Match(reference);
        if (!match.Success || !int.TryParse(match.Groups["version"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && !match.Groups["alias"].Success)
        {
            throw new MlopsException($"'{reference}' names no model version.", "Write name@alias (e.g. churn@candidate) or name/3.");
        }
        var name = match.Groups["name"].Value;
        if (match.Groups["version"].Success && !StoreExists(cli))
        {
            return (name, number);
        }
        using var client = cli.OpenReader();
        var found = new ModelRegistry(client).Get(reference);
        return (found.Name, found.Version);
    }

    /// <summary>A successful deploy points the environment's alias at the version, in the registry there is; none, and nothing moves.</summary>
    private static bool MoveAlias(string name, string environment, int version, CliContext cli)
    {
        if (!StoreExists(cli))
        {
            return false;
        }
        using var client = cli.OpenClient();
        new ModelRegistry(client).SetAlias(name, environment, version);
        return true;
    }

    private static bool StoreExists(CliContext cli)
    {
        try
        {
            using var client = cli.OpenReader();
            return true;
        }
        // Opening for reading refuses only when there is no store to read (or none that is one): then name/3 stands alone.
        catch (TrackingStoreException)
        {
            return false;
        }
    }

    private static CanaryPolicy Policy(CanarySettings settings)
    {
        var steps = settings.Steps.Split(',', StringSplitOptions.TrimEntries).Select(step =>
            int.TryParse(step, NumberStyles.None, CultureInfo.InvariantCulture, out var percent) ? percent
                : throw new MlopsException($"--canary-steps '{settings.Steps}' has '{step}', which is not a whole percentage.", "Give rising percentages, e.g. --canary-steps 10,25,50."));
        if (!double.IsFinite(settings.MaxP99Milliseconds) || settings.MaxP99Milliseconds is <= 0 or > 3_600_000)
        {
            throw new MlopsException($"--max-p99-ms {settings.MaxP99Milliseconds} is not a latency.", "Give milliseconds, e.g. --max-p99-ms 500.");
        }
        var policy = CanaryPolicy.Default with
        {
            Steps = [.. steps],
            StepDuration = Arguments.Duration(settings.StepDuration, "--canary-step-duration"),
            MaxErrorRate = settings.MaxErrorRate,
            MaxP99Latency = TimeSpan.FromMilliseconds(settings.MaxP99Milliseconds),
        };
        policy.Check();
        return policy;
    }
}
