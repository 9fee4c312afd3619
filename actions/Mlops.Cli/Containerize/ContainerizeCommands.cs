using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MlopsNotebooks.Cli.Serve;
using MlopsNotebooks.Deployment.Containers;
using MlopsNotebooks.GitHub.Toolkit;

namespace MlopsNotebooks.Cli.Containerize;

/// <summary>
/// <c>mlops containerize</c> and <c>mlops action containerize</c>: the model server and a model version as an image,
/// built through the Docker engine's API and optionally pushed. The registry password comes only from the environment or
/// standard input (never an argument, which the process list and shell history would show) and is never printed.
/// </summary>
internal static class ContainerizeCommands
{
    public const string PasswordVariable = "MLOPS_REGISTRY_PASSWORD";

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "name@alias or name/3 (a registered version), or an export bundle's folder." };
        var image = new Option<string>("--image") { Description = "The image repository, without a tag (e.g. ghcr.io/acme/churn); tagged with the model version and the commit.", Required = true };
        var baseImage = new Option<string>("--base-image") { Description = $"The ASP.NET runtime image to build on (default {ImageBuildRequest.DefaultBaseImage}).", DefaultValueFactory = _ => ImageBuildRequest.DefaultBaseImage };
        var push = new Option<bool>("--push") { Description = "Push every tag to the image's registry." };
        var username = new Option<string?>("--registry-username") { Description = $"The registry login; its password in {PasswordVariable} or on standard input with --registry-password-stdin." };
        var passwordStdin = new Option<bool>("--registry-password-stdin") { Description = "Read the registry password from standard input." };
        return new Command("containerize", "Build the model server's image for a model version: labelled, non-root, tagged with the version and the commit; --push to push it.")
            {
                model, image, baseImage, push, username, passwordStdin, GlobalOptions.Json,
            }
            .Handles(parse => new ContainerizeSettings(parse.GetValue(model)!, parse.GetValue(image)!, parse.GetValue(baseImage)!, parse.GetValue(push),
                    parse.GetValue(username), parse.GetValue(passwordStdin) ? ReadPassword(Console.In) : Environment.GetEnvironmentVariable(PasswordVariable)),
                async (settings, cli, cancellationToken) =>
                {
                    var result = await ContainerizeAsync(settings, cli, new LineLog(cli.Json ? cli.Error : cli.Output), cancellationToken);
                    cli.Write(Json(result), Text(result));
                    return MlopsCli.Ok;
                });
    }

    /// <summary><c>mlops action containerize</c>: the same, configured by INPUT_* as the runner sets them, with outputs image, tags and digest.</summary>
    public static Command ActionContainerize()
    {
        var command = new Command("containerize", "The containerize action: read INPUT_* as the runner sets them, build (and push) the image, set outputs.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var actions = ActionRunner.FromProcess();
            // Masked before anything else is read or printed.
            var password = actions.Input("registry-password");
            if (password is not null)
            {
                actions.Mask(password);
            }
            var settings = new ContainerizeSettings(actions.RequiredInput("model"), actions.RequiredInput("image"),
                actions.Input("base-image") ?? ImageBuildRequest.DefaultBaseImage, actions.BooleanInput("push"), actions.Input("registry-username"), password);
            var result = await ContainerizeAsync(settings, new CliContext(parse), new LineLog(actions), cancellationToken);
            actions.SetOutput("image", result.Image.References[0]);
            actions.SetOutput("tags", string.Join('\n', result.Image.References));
            actions.SetOutput("digest", result.Digest ?? "");
            actions.Log(Text(result).TrimEnd());
            return MlopsCli.Ok;
        });
        return command;
    }

    /// <summary>Checks every input, then the bundle, then builds and pushes: bad input fails before the engine is asked anything.</summary>
    private static async Task<ContainerizeResult> ContainerizeAsync(ContainerizeSettings settings, CliContext cli, IProgress<string> log, CancellationToken cancellationToken)
    {
        if (settings.Password is { Length: > 0 } secret)
        {
            LogText.AddSecret(secret);
        }
        var repository = ImageRepository.Parse(settings.Image);
        var login = Login(settings);
        if (string.IsNullOrWhiteSpace(settings.BaseImage))
        {
            throw new MlopsException("--base-image is empty.", $"Leave it out for {ImageBuildRequest.DefaultBaseImage}, or name an ASP.NET runtime image.");
        }
        var server = Path.Combine(AppContext.BaseDirectory, "server");
        return await RegisteredBundle.UseAsync(settings.Model, cli, async folder =>
        {
            var bundle = ContainerBundle.Open(folder);
            var request = new ImageBuildRequest(bundle, repository, settings.BaseImage.Trim(), server, Commit(), Source(), DateTimeOffset.UtcNow);
            using var docker = await DockerEngine.ConnectAsync(cancellationToken);
            var images = new ContainerImages(docker);
            var built = await images.BuildAsync(request, log, cancellationToken);
            var digest = settings.Push ? await images.PushAsync(built, repository, login, log, cancellationToken) : null;
            return new ContainerizeResult(built, settings.Push, digest);
        });
    }

    private static RegistryLogin? Login(ContainerizeSettings settings)
    {
        var hint = $"Give --registry-username (registry-username), and the password in {PasswordVariable} or on standard input with --registry-password-stdin (registry-password in the action).";
        return (settings.Username, settings.Password) switch
        {
            ({ Length: > 0 } user, { Length: > 0 } password) => new RegistryLogin(user, password),
            ({ Length: > 0 } user, _) => throw new MlopsException($"There is no registry password for {user}.", hint),
            (_, { Length: > 0 }) => throw new MlopsException("A registry password was given without a user name.", hint),
            _ => null,
        };
    }

    /// <summary>The password from standard input: its first line, as docker login --password-stdin reads it.</summary>
    private static string ReadPassword(TextReader input) => input.ReadToEnd().Split('\n')[0].TrimEnd('\r');

    /// <summary>The commit the image comes from: the workflow's (GITHUB_SHA), else the current directory's git HEAD, else none.</summary>
    private static string? Commit() =>
        Environment.GetEnvironmentVariable("GITHUB_SHA") is { Length: > 0 } sha ? sha : GitCli.TryRun(Directory.GetCurrentDirectory(), "rev-parse", "HEAD")?.Trim() is { Length: > 0 } head ? head : null;

    private static string? Source() =>
        (Environment.GetEnvironmentVariable("GITHUB_SERVER_URL"), Environment.GetEnvironmentVariable("GITHUB_REPOSITORY")) is ({ Length: > 0 } server, { Length: > 0 } repository)
            ? $"{server.TrimEnd('/')}/{repository}" : null;

    private static JsonObject Json(ContainerizeResult result) => new()
    {
        ["id"] = result.Image.Id,
        ["tags"] = new JsonArray(result.Image.References.Select(r => (JsonNode?)r).ToArray()),
        ["size"] = result.Image.Size,
        ["labels"] = new JsonObject(result.Image.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => KeyValuePair.Create<string, JsonNode?>(l.Key, l.Value))),
        ["pushed"] = result.Pushed,
        ["digest"] = result.Digest,
    };

    private static string Text(ContainerizeResult result) =>
        $"Built image {result.Image.Id} ({(result.Image.Size / 1e6).ToString("0.0", CultureInfo.InvariantCulture)} MB)\n"
        + string.Concat(result.Image.References.Select(r => $"  {r}\n"))
        + (result.Pushed ? $"Pushed{(result.Digest is null ? "" : $" {result.Digest}")}\n" : "");
}

/// <summary><c>mlops containerize</c>: the model, the image repository and base, and whether and how to push.</summary>
internal sealed record ContainerizeSettings(string Model, string Image, string BaseImage, bool Push, string? Username, string? Password)
{
    public override string ToString() => $"ContainerizeSettings {{ Model = {Model}, Image = {Image}, BaseImage = {BaseImage}, Push = {Push}, Username = {Username} }}";
}

/// <summary>What containerize made: the image, and the registry's digest when it was pushed.</summary>
internal sealed record ContainerizeResult(BuiltImage Image, bool Pushed, string? Digest);
