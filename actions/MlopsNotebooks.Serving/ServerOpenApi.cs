using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace MlopsNotebooks.Serving;

/// <summary>
/// The server's OpenAPI description, written from the served model's columns: a row of <c>/predict</c> is an object
/// with one property per input column (the required ones listed, unknown ones refused, as the server refuses them), an
/// answer one property per output column, and the Open Inference Protocol's routes with its tensors. The endpoints are
/// hand-written request delegates, which ASP.NET's generator cannot see into, so the description is the bundle's.
/// </summary>
internal static class ServerOpenApi
{
    public static void Describe(OpenApiDocument document, ServedModel model, string version)
    {
        var name = model.Bundle.Name;
        document.Info = new OpenApiInfo
        {
            Title = $"{name} model server",
            Version = version.Length > 0 ? version : "unversioned",
            Description = $"Serves model {name}{(version.Length > 0 ? $" version {version}" : "")} over the Open Inference Protocol (V2) and POST /predict.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas = new Dictionary<string, IOpenApiSchema>
        {
            ["Row"] = Row(model.Known, model.Inputs.Select(c => c.Name), "One row in the model's input columns."),
            ["Prediction"] = Row(model.Outputs, model.Outputs.Select(c => c.Name), "The model's answer for one row."),
            ["Tensor"] = Tensor(),
            ["InferRequest"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "One input per column, shape [N] for N rows, BYTES for strings.",
                Required = new HashSet<string> { "inputs" },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["id"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["inputs"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Ref("Tensor", document) },
                    ["outputs"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Array,
                        Description = "The outputs to answer (by name); all when left out.",
                        Items = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Properties = new Dictionary<string, IOpenApiSchema> { ["name"] = Enum(model.Outputs.Select(c => c.Name)) },
                        },
                    },
                },
            },
            ["InferResponse"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["model_name"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["model_version"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["id"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["outputs"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Ref("Tensor", document) },
                },
            },
            ["Feedback"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "The true label of one logged prediction.",
                AdditionalPropertiesAllowed = false,
                Required = new HashSet<string> { "id", "row", "label" },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["id"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Description = "The X-Request-Id header of the prediction's answer.",
                        Pattern = "^[A-Za-z0-9._:-]{1,128}$",
                    },
                    ["row"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0", Description = "The row's place in its request, from 0." },
                    ["label"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String | JsonSchemaType.Number | JsonSchemaType.Boolean,
                        Description = "The true value.",
                    },
                },
            },
            ["Error"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string> { "error" },
                Properties = new Dictionary<string, IOpenApiSchema> { ["error"] = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        };

        var row = Ref("Row", document);
        var prediction = Ref("Prediction", document);
        document.Paths = new OpenApiPaths
        {
            ["/predict"] = Post("Predicts one row (an object) or several (an array), in the model's column names.",
                new OpenApiSchema { OneOf = [row, new OpenApiSchema { Type = JsonSchemaType.Array, Items = row }] },
                new OpenApiSchema { OneOf = [prediction, new OpenApiSchema { Type = JsonSchemaType.Array, Items = prediction }] },
                document),
            [$"/v2/models/{name}/infer"] = Post("The Open Inference Protocol's inference.", Ref("InferRequest", document), Ref("InferResponse", document), document),
            ["/feedback"] = FeedbackPath(Ref("Feedback", document), document),
            ["/v2/health/live"] = Get("Live as soon as the server listens.", document),
            ["/v2/health/ready"] = Get("Ready once the model is loaded and its warm-up prediction passed; 503 before.", document),
            [$"/v2/models/{name}"] = Get("The model's metadata: its versions, inputs and outputs.", document),
            [$"/v2/models/{name}/ready"] = Get("Whether the model is ready.", document),
        };
    }

    private static OpenApiSchemaReference Ref(string id, OpenApiDocument document) => new(id, document);

    private static OpenApiSchema Row(IEnumerable<ServedColumn> columns, IEnumerable<string> required, string description) => new()
    {
        Type = JsonSchemaType.Object,
        Description = description,
        AdditionalPropertiesAllowed = false,
        Required = new HashSet<string>(required),
        Properties = columns.ToDictionary(c => c.Name, c => (IOpenApiSchema)new OpenApiSchema { Type = JsonType(c.Type.Datatype), Description = $"ML.NET type {c.Type.Name}." }),
    };

    private static OpenApiSchema Tensor() => new()
    {
        Type = JsonSchemaType.Object,
        Required = new HashSet<string> { "name", "shape", "datatype", "data" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["name"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["shape"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.Integer } },
            ["datatype"] = Enum(ColumnType.All.Select(t => t.Datatype).Distinct()),
            ["data"] = new OpenApiSchema { Type = JsonSchemaType.Array },
        },
    };

    private static OpenApiSchema Enum(IEnumerable<string> values) => new()
    {
        Type = JsonSchemaType.String,
        Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList(),
    };

    /// <summary>The JSON type a column's values take in a request, from the protocol's datatype.</summary>
    private static JsonSchemaType JsonType(string datatype) => datatype switch
    {
        "BOOL" => JsonSchemaType.Boolean,
        "BYTES" => JsonSchemaType.String,
        "FP16" or "FP32" or "FP64" => JsonSchemaType.Number,
        _ => JsonSchemaType.Integer,
    };

    private static OpenApiPathItem Post(string summary, IOpenApiSchema request, IOpenApiSchema answer, OpenApiDocument document) => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Post] = new()
            {
                Summary = summary,
                RequestBody = new OpenApiRequestBody { Required = true, Content = Json(request) },
                Responses = Answers(answer, document, "200", ("400", "A field is missing, unknown or of the wrong type; the error names it."),
                    ("413", "The body is over the server's limit."), ("415", "The body is not application/json."), ("503", "The model is not ready yet.")),
            },
        },
    };

    private static OpenApiPathItem FeedbackPath(IOpenApiSchema feedback, OpenApiDocument document) => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Post] = new()
            {
                Summary = "Labels for logged predictions (one, or an array), written to the prediction log's feedback files.",
                RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = Json(new OpenApiSchema { OneOf = [feedback, new OpenApiSchema { Type = JsonSchemaType.Array, Items = feedback, MinItems = 1 }] }),
                },
                Responses = Answers(new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Properties = new Dictionary<string, IOpenApiSchema> { ["accepted"] = new OpenApiSchema { Type = JsonSchemaType.Integer } },
                }, document, "202", ("400", "A field is missing or of the wrong type; the error names it."),
                    ("404", "The server keeps no prediction log."), ("413", "The body is over the server's limit."),
                    ("415", "The body is not application/json."), ("503", "The log cannot be written now.")),
            },
        },
    };

    private static OpenApiPathItem Get(string summary, OpenApiDocument document) => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Get] = new() { Summary = summary, Responses = Answers(null, document, "200") },
        },
    };

    private static OpenApiResponses Answers(IOpenApiSchema? answer, OpenApiDocument document, string success, params (string Status, string Why)[] refusals)
    {
        var responses = new OpenApiResponses { [success] = new OpenApiResponse { Description = success == "202" ? "Accepted" : "OK", Content = answer is null ? null : Json(answer) } };
        foreach (var (status, why) in refusals)
        {
            responses[status] = new OpenApiResponse { Description = why, Content = Json(Ref("Error", document)) };
        }
        return responses;
    }

    private static Dictionary<string, OpenApiMediaType> Json(IOpenApiSchema schema) => new() { ["application/json"] = new OpenApiMediaType { Schema = schema } };
}
