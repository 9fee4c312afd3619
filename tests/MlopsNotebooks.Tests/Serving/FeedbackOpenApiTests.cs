using System.Text.Json.Nodes;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Serving;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Serving;

/// <summary>POST /feedback in the server's OpenAPI description: Prism, serving it, accepts exactly the bodies the server accepts.</summary>
public sealed class FeedbackOpenApiTests(ServedBundle bundle) : IClassFixture<ServedBundle>
{
    private static readonly string[] Bodies =
    [
        """{"id": "r-1", "row": 0, "label": true}""",
        """{"id": "r-1", "row": 3, "label": "churned"}""",
        """[{"id": "r-1", "row": 0, "label": 1.5}, {"id": "r:2", "row": 1, "label": false}]""",
        """{"id": "r 1", "row": 0, "label": true}""",
        """{"id": "", "row": 0, "label": true}""",
        """{"id": "r-1", "row": -1, "label": true}""",
        """{"id": "r-1", "row": 0.5, "label": true}""",
        """{"id": "r-1", "row": 0, "label": null}""",
        """{"id": "r-1", "row": 0, "label": [1]}""",
        """{"id": "r-1", "row": 0}""",
        """{"id": "r-1", "row": 0, "label": 1, "note": "x"}""",
        """[]""",
        "\"label\"",
    ];

    [Fact]
    public async Task Prism_serving_the_description_accepts_exactly_the_feedback_bodies_the_server_accepts()
    {
        using var temp = new TempDirectory();
        await using var server = await ModelServer.StartAsync(new ServerOptions(bundle.Folder) { Port = 0, PredictionLog = new PredictionLogOptions(temp.File("log")) });
        await server.Ready;
        using var served = new HttpClient { BaseAddress = server.Address };
        var spec = temp.File("openapi.json");
        await File.WriteAllTextAsync(spec, await served.GetStringAsync("/openapi/v1.json"));
        var (prism, address) = await Prism.MockAsync(spec);
        try
        {
            using var http = new HttpClient { BaseAddress = address };
            var disagreements = new List<string>();
            foreach (var body in Bodies)
            {
                var (answer, _) = await ModelServerTests.Post(served, "/feedback", body);
                var (mock, _) = await ModelServerTests.Post(http, "/feedback", body);
                if (((int)answer == 202) != ((int)mock is >= 200 and < 300))
                {
                    disagreements.Add($"{body}: server {(int)answer}, description {(int)mock}");
                }
            }
            Assert.Empty(disagreements);
            Assert.Contains("mlops_server_feedback_total 4\n", await served.GetStringAsync("/metrics"));
        }
        finally
        {
            prism.Kill(entireProcessTree: true);
            prism.Dispose();
        }
    }
}
