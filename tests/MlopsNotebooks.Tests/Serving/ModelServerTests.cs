using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MlopsNotebooks.Serving;

namespace MlopsNotebooks.Tests.Serving;

/// <summary>The model server over real HTTP on a loopback port, with a real FastTree bundle.</summary>
public sealed class ModelServerTests(RunningServer running) : IClassFixture<RunningServer>
{
    private HttpClient Http => running.Http;

    internal static JsonObject Row(CustomerRow row) => new() { ["Tenure"] = row.Tenure, ["Calls"] = row.Calls, ["Plan"] = row.Plan };

    internal static JsonObject Infer(IReadOnlyList<CustomerRow> rows) => new()
    {
        ["id"] = "r1",
        ["inputs"] = new JsonArray(
            Tensor("Tenure", "FP32", rows.Select(r => (JsonNode?)r.Tenure)),
            Tensor("Calls", "FP32", rows.Select(r => (JsonNode?)r.Calls)),
            Tensor("Plan", "BYTES", rows.Select(r => (JsonNode?)r.Plan))),
    };

    private static JsonObject Tensor(string name, string datatype, IEnumerable<JsonNode?> data)
    {
        var values = new JsonArray(data.ToArray());
        return new JsonObject { ["name"] = name, ["datatype"] = datatype, ["shape"] = new JsonArray(values.Count), ["data"] = values };
    }

    internal static async Task<(HttpStatusCode Status, JsonNode? Body)> Post(HttpClient http, string path, string body, string? contentType = "application/json")
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        using var response = await http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> Get(string path)
    {
        using var response = await Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Fact]
    public async Task Health_readiness_and_metadata_answer_as_the_open_inference_protocol_says()
    {
        Assert.Equal((HttpStatusCode.OK, true), await Get("/v2/health/live") is var (s1, b1) ? (s1, (bool)b1!["live"]!) : default);
        Assert.Equal((HttpStatusCode.OK, true), await Get("/v2/health/ready") is var (s2, b2) ? (s2, (bool)b2!["ready"]!) : default);
        Assert.Equal((HttpStatusCode.OK, true), await Get("/v2/models/churn/ready") is var (s3, b3) ? (s3, (bool)b3!["ready"]!) : default);
        var (status, metadata) = await Get("/v2/models/churn");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("churn", (string)metadata!["name"]!);
        Assert.Equal(["1"], metadata["versions"]!.AsArray().Select(v => (string)v!));
        // The label the model was saved with is not needed to predict, so it is no input.
        Assert.Equal(["Tenure:FP32", "Calls:FP32", "Plan:BYTES"], metadata["inputs"]!.AsArray().Select(i => $"{i!["name"]}:{i["datatype"]}"));
        Assert.Equal(["PredictedLabel:BOOL", "Score:FP32", "Probability:FP32"], metadata["outputs"]!.AsArray().Select(i => $"{i!["name"]}:{i["datatype"]}"));
        Assert.Equal(HttpStatusCode.OK, (await Get("/v2/models/churn/versions/1")).Status);
        var (missing, error) = await Get("/v2/models/other");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("other", (string)error!["error"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await Get("/v2/models/churn/versions/7/ready")).Status);
    }

    [Fact]
    public async Task Predict_and_infer_answer_what_the_model_predicts_in_process_for_one_row_and_for_a_batch()
    {
        var rows = ServedBundle.Rows(40, seed: 7);
        var expected = rows.Select(running.Bundle.InProcess).ToList();

        var (status, one) = await Post(Http, "/predict", Row(rows[0]).ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(expected[0].PredictedLabel, (bool)one!["PredictedLabel"]!);
        Assert.Equal(expected[0].Probability, (float)one["Probability"]!);

        // 40 rows go through one Transform; the answers are the same as row by row.
        var (batchStatus, batch) = await Post(Http, "/predict", new JsonArray(rows.Select(r => (JsonNode?)Row(r)).ToArray()).ToJsonString());
        Assert.Equal(HttpStatusCode.OK, batchStatus);
        Assert.Equal(expected.Select(e => (e.PredictedLabel, e.Score, e.Probability)),
            batch!.AsArray().Select(o => ((bool)o!["PredictedLabel"]!, (float)o["Score"]!, (float)o["Probability"]!)));

        var (inferStatus, infer) = await Post(Http, "/v2/models/churn/infer", Infer(rows).ToJsonString());
        Assert.Equal(HttpStatusCode.OK, inferStatus);
        Assert.Equal("churn", (string)infer!["model_name"]!);
        Assert.Equal("1", (string)infer["model_version"]!);
        Assert.Equal("r1", (string)infer["id"]!);
        var outputs = infer["outputs"]!.AsArray().ToDictionary(o => (string)o!["name"]!);
        Assert.Equal("BOOL", (string)outputs["PredictedLabel"]!["datatype"]!);
        Assert.Equal([40], outputs["Probability"]!["shape"]!.AsArray().Select(d => (int)d!));
        Assert.Equal(expected.Select(e => e.Probability), outputs["Probability"]!["data"]!.AsArray().Select(d => (float)d!));

        // A label, known to the model but not needed, may be sent; outputs may be chosen.
        var withLabel = Row(rows[1]);
        withLabel["Label"] = true;
        Assert.Equal(HttpStatusCode.OK, (await Post(Http, "/predict", withLabel.ToJsonString())).Status);
        var chosen = Infer(rows.Take(2).ToList());
        chosen["outputs"] = new JsonArray(new JsonObject { ["name"] = "Score" });
        var (_, scores) = await Post(Http, "/v2/models/churn/infer", chosen.ToJsonString());
        Assert.Equal(["Score"], scores!["outputs"]!.AsArray().Select(o => (string)o!["name"]!));
    }

    public static TheoryData<string, string, string?, int, string> BadRequests()
    {
        const string good = """{"Tenure": 3, "Calls": 1, "Plan": "pro"}""";
        const string infer = """{"inputs": [{"name": "Tenure", "shape": [2], "datatype": "FP32", "data": [1, 2]}, {"name": "Calls", "shape": [2], "datatype": "FP32", "data": [1, 2]}, {"name": "Plan", "shape": [2], "datatype": "BYTES", "data": ["a", "b"]}]}""";
        return new()
        {
            { "/predict", """{"Tenure": "three", "Calls": 1, "Plan": "pro"}""", "application/json", 400, "'Tenure'" },
            { "/predict", """{"Tenure": 3, "Plan": "pro"}""", "application/json", 400, "'Calls' is missing" },
            { "/predict", """{"Tenure": 3, "Calls": 1, "Plan": "pro", "Region": "x"}""", "application/json", 400, "Unknown field 'Region'" },
            { "/predict", """[{"Tenure": 3, "Calls": 1, "Plan": "pro"}, {"Tenure": 3, "Calls": 1, "Plan": 4}]""", "application/json", 400, "'Plan' (row 1)" },
            { "/predict", """{"Tenure": 3, "Calls": 1, "Plan": "pro", "Label": "yes"}""", "application/json", 400, "'Label'" },
            { "/predict", """{"Tenure": 3, "Calls": null, "Plan": "pro"}""", "application/json", 400, "'Calls' is null" },
            { "/predict", """{"Tenure": 3e300, "Calls": 1, "Plan": "pro"}""", "application/json", 400, "'Tenure'" },
            { "/predict", "[]", "application/json", 400, "no rows" },
            { "/predict", "{\"Tenure\": 3,", "application/json", 400, "not valid JSON" },
            { "/predict", good, "text/plain", 415, "application/json" },
            { "/predict", good, null, 415, "missing" },
            { "/predict", good, "application/json; charset=latin1", 415, "UTF-8" },
            { "/predict", "[" + string.Join(",", Enumerable.Repeat(good, 2000)) + "]", "application/json", 413, "larger than" },
            { "/v2/models/churn/infer", infer.Replace("\"BYTES\"", "\"FP32\""), "application/json", 400, "'Plan' has datatype 'FP32'; it must be BYTES" },
            { "/v2/models/churn/infer", infer.Replace("[1, 2]}, {\"name\": \"Calls\"", "[1]}, {\"name\": \"Calls\""), "application/json", 400, "'Tenure' has shape [2]" },
            { "/v2/models/churn/infer", infer.Replace("\"shape\": [2], \"datatype\": \"FP32\", \"data\": [1, 2]}, {\"name\": \"Calls\"", "\"shape\": [3], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}, {\"name\": \"Calls\""), "application/json", 400, "values, others have" },
            { "/v2/models/churn/infer", infer.Replace("\"shape\": [2]", "\"shape\": [2, 1]"), "application/json", 400, "shape [N]" },
            { "/v2/models/churn/infer", infer.Replace("\"name\": \"Plan\"", "\"name\": \"Region\""), "application/json", 400, "Unknown input 'Region'" },
            { "/v2/models/churn/infer", """{"inputs": []}""", "application/json", 400, "\"inputs\"" },
            { "/v2/models/churn/infer", infer.Replace("{\"inputs\"", "{\"outputs\": [{\"name\": \"Nope\"}], \"inputs\""), "application/json", 400, "Unknown output 'Nope'" },
            { "/v2/models/other/infer", infer, "application/json", 404, "No model other" },
        };
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_is_refused_with_its_status_and_an_error_naming_what_is_wrong(string path, string body, string? contentType, int status, string says)
    {
        var (answer, error) = await Post(Http, path, body, contentType);
        Assert.Equal(status, (int)answer);
        Assert.Contains(says, (string)error!["error"]!);
    }

    [Fact]
    public async Task Many_parallel_requests_get_the_answers_sequential_ones_get()
    {
        var rows = ServedBundle.Rows(60, seed: 11);
        var bodies = rows.Select(r => Row(r).ToJsonString()).Concat(Enumerable.Range(0, 20).Select(i =>
            new JsonArray(rows.Skip(i).Take(i % 3 == 0 ? 12 : 3).Select(r => (JsonNode?)Row(r)).ToArray()).ToJsonString())).ToList();
        var sequential = new List<string>();
        foreach (var body in bodies)
        {
            sequential.Add((await Post(Http, "/predict", body)).Body!.ToJsonString());
        }
        var parallel = await Task.WhenAll(Enumerable.Range(0, 5).SelectMany(_ => bodies.Select(async (body, i) => (i, (await Post(Http, "/predict", body)).Body!.ToJsonString()))));
        Assert.Equal(5 * bodies.Count, parallel.Length);
        Assert.All(parallel, p => Assert.Equal(sequential[p.i], p.Item2));
    }

    [Fact]
    public async Task The_metrics_count_requests_by_route_status_and_version_and_predictions_by_class()
    {
        var rows = ServedBundle.Rows(10, seed: 3);
        foreach (var row in rows)
        {
            await Post(Http, "/predict", Row(row).ToJsonString());
        }
        await Post(Http, "/predict", "{}");
        using var response = await Http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
        Assert.Matches("""mlops_server_requests_total\{route="/predict",status="200",model_version="1"\} \d+""", text);
        Assert.Matches("""mlops_server_errors_total\{route="/predict",status="400"\} \d+""", text);
        Assert.Matches("""mlops_server_request_duration_seconds_bucket\{route="/predict",le="[0-9.e+-]+"\} \d+""", text);
        Assert.Matches("""mlops_server_predictions_total\{model_version="1",class="(true|false)"\} \d+""", text);
        Assert.Contains("mlops_server_prediction_log_dropped_total 0", text);
        Assert.Contains("mlops_server_model_ready 1", text);
    }
}
