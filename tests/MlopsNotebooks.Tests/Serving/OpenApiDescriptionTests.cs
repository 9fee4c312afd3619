using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Serving;

/// <summary>
/// The server's OpenAPI description against the server itself: Prism, serving the description, must accept exactly
/// the requests the server accepts, so a client generated from it sends what the model takes.
/// </summary>
public sealed class OpenApiDescriptionTests(RunningServer running) : IClassFixture<RunningServer>
{
    private async Task<JsonObject> Description()
    {
        using var response = await running.Http.GetAsync("/openapi/v1.json");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    [Fact]
    public async Task The_description_gives_a_row_the_model_s_columns_with_their_json_types_and_refuses_others()
    {
        var description = await Description();
        var row = description["components"]!["schemas"]!["Row"]!;
        var properties = row["properties"]!.AsObject();
        Assert.Equal("number", (string)properties["Tenure"]!["type"]!);
        Assert.Equal("number", (string)properties["Calls"]!["type"]!);
        Assert.Equal("string", (string)properties["Plan"]!["type"]!);
        Assert.Equal(["Calls", "Plan", "Tenure"], row["required"]!.AsArray().Select(n => (string)n!).Order());
        Assert.False((bool)row["additionalProperties"]!);
        Assert.Equal("1", (string)description["info"]!["version"]!);
        Assert.NotNull(description["paths"]!["/v2/models/churn/infer"]!["post"]);
    }

    private static readonly string[] Bodies =
    [
        """{"Tenure": 3, "Calls": 1, "Plan": "pro"}""",
        """[{"Tenure": 3, "Calls": 1, "Plan": "pro"}, {"Tenure": 40, "Calls": 0, "Plan": "basic"}]""",
        """{"Tenure": "three", "Calls": 1, "Plan": "pro"}""",
        """{"Tenure": 3, "Plan": "pro"}""",
        """{"Tenure": 3, "Calls": 1, "Plan": "pro", "Region": "x"}""",
        """{"Tenure": 3, "Calls": null, "Plan": "pro"}""",
        """[{"Tenure": 3, "Calls": 1, "Plan": "pro"}, {"Tenure": 3, "Calls": 1, "Plan": 4}]""",
        """{"Tenure": 3, "Calls": 1, "Plan": "pro", "Label": "yes"}""",
        """{"Tenure": 3, "Calls": 1, "Plan": "pro", "Label": true}""",
        "\"row\"",
    ];

    [Fact]
    public async Task Prism_serving_the_description_accepts_exactly_the_predict_bodies_the_server_accepts()
    {
        using var temp = new TempDirectory();
        var spec = temp.File("openapi.json");
        await File.WriteAllTextAsync(spec, (await Description()).ToJsonString());
        var (prism, address) = await Prism.MockAsync(spec);
        try
        {
            using var http = new HttpClient { BaseAddress = address };
            var disagreements = new List<string>();
            foreach (var body in Bodies)
            {
                var (server, _) = await ModelServerTests.Post(running.Http, "/predict", body);
                var (mock, _) = await ModelServerTests.Post(http, "/predict", body);
                var serverAccepts = (int)server == 200;
                var descriptionAccepts = (int)mock is >= 200 and < 300;
                if (serverAccepts != descriptionAccepts)
                {
                    disagreements.Add($"{body}: server {(int)server}, description {(int)mock}");
                }
            }
            Assert.Empty(disagreements);
        }
        finally
        {
            prism.Kill(entireProcessTree: true);
            prism.Dispose();
        }
    }

    [Fact]
    public async Task Before_the_model_is_ready_the_description_is_refused_with_503_not_an_empty_document()
    {
        var loading = new TaskCompletionSource();
        await using var server = await MlopsNotebooks.Serving.ModelServer.StartAsync(new MlopsNotebooks.Serving.ServerOptions(running.Bundle.Folder)
        {
            Port = 0,
            BeforeLoad = () => loading.Task,
        });
        using var http = new HttpClient { BaseAddress = server.Address };
        using var early = await http.GetAsync("/openapi/v1.json");
        Assert.Equal(503, (int)early.StatusCode);
        Assert.Contains("not ready", (string)JsonNode.Parse(await early.Content.ReadAsStringAsync())!["error"]!);
        loading.SetResult();
        await server.Ready;
        using var late = await http.GetAsync("/openapi/v1.json");
        Assert.Equal(200, (int)late.StatusCode);
    }
}
