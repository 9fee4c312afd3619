using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MlopsNotebooks.Monitoring;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Prometheus;

namespace MlopsNotebooks.Serving;

/// <summary>
/// Serves one export bundle: the Open Inference Protocol's REST API (V2), <c>POST /predict</c> for people and
/// <c>GET /metrics</c> for Prometheus. It listens at once and loads the model in the background; it is ready when the
/// model is loaded and a prediction of the bundle's sample input passed. <c>mlops serve</c> and the container's
/// Program.cs run this.
/// </summary>
public sealed class ModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServerOptions _options;
    private readonly ModelBundle _bundle;
    private readonly ServerMetrics _metrics = new();
    private readonly PredictionHook _hook;
    private readonly PredictionLogWriter? _log;
    private readonly string _version;
    private volatile Loaded? _loaded;

    private ModelServer(ServerOptions options, ModelBundle bundle)
    {
        _options = options;
        _bundle = bundle;
        _version = bundle.Version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
        if (options.LogSample is not (> 0 and <= 1))
        {
            throw new MlopsException($"The log sample {options.LogSample} is not a share of requests.", "Give a number more than 0 and at most 1, e.g. 0.1 to log one request in ten.");
        }
        _app = Build(options); // first: a host it cannot listen on leaves no log writer behind
        _log = options.PredictionLog is { } log ? new PredictionLogWriter(log) : null;
        _hook = new PredictionHook(_log is null ? options.Sink : new PredictionLogSink(_log, _metrics.Logged), options.HookCapacity);
        _hook.Dropping += _metrics.Dropped;
    }

    /// <summary>Completes when the model is ready; fails with an <see cref="MlopsException"/> when it cannot be loaded.</summary>
    public Task Ready { get; private set; } = Task.CompletedTask;

    /// <summary>The model's name, from the manifest.</summary>
    public string ModelName => _bundle.Name;

    public int? ModelVersion => _bundle.Version;

    /// <summary>Where the server listens, e.g. http://127.0.0.1:8080.</summary>
    public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>The prediction hook's drops so far.</summary>
    public long Dropped => _hook.Dropped;

    /// <summary>
    /// Checks the bundle (a missing or unreadable manifest, schema or sample is an <see cref="MlopsException"/>), starts
    /// listening, and starts loading the model: await <see cref="Ready"/> for it.
    /// </summary>
    public static async Task<ModelServer> StartAsync(ServerOptions options, CancellationToken cancellationToken = default)
    {
        var server = new ModelServer(options, ModelBundle.Open(options.Bundle));
        await ServerApp.StartAsync(server._app, options.Host, options.Port, server, cancellationToken);
        server.Ready = Task.Run(server.LoadAsync, CancellationToken.None);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await ServerApp.StopAsync(_app);
        await _hook.DisposeAsync();
        _log?.Dispose();
    }

    private async Task LoadAsync()
    {
        if (_options.BeforeLoad is { } wait)
        {
            await wait();
        }
        var model = ServedModel.Load(_bundle);
        var requests = new TabularRequests(model);
        using var sample = JsonDocument.Parse(_bundle.Sample.ToJsonString());
        List<object?[]> rows;
        try
        {
            rows = requests.ReadPredict(sample.RootElement).Rows;
        }
        catch (RequestRejectedException e)
        {
            throw new MlopsException($"The bundle's sample-input.json does not fit the model's columns: {e.Message}",
                "Register the model again with a sample input in its input columns (Mlops.Models.Register(..., sampleInput: row)).");
        }
        try
        {
            model.Predict(rows);
        }
        catch (Exception e) when (e is not MlopsException)
        {
            throw new MlopsException($"The warm-up prediction of the bundle's sample input failed: {e.GetBaseException().Message}",
                "Check that the model predicts on its sample input in a notebook; export it again.");
        }
        _loaded = new Loaded(model, requests);
        _metrics.Ready();
    }

    private sealed record Loaded(ServedModel Model, TabularRequests Requests);

    private WebApplication Build(ServerOptions options)
    {
        var address = ServerApp.ListenAddress(options.Host, options.Port);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, options.Port);
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            kestrel.AddServerHeader = false;
        });
        // The description is the served model's: written on request once the model is loaded (503 before).
        builder.Services.AddOpenApi("v1", openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            ServerOpenApi.Describe(document, Model().Model, _version);
            return Task.CompletedTask;
        }));
        var app = builder.Build();
        app.Use(Measured);
        app.UseRouting();
        app.MapGet("/v2/health/live", (RequestDelegate)(c => Json(c, 200, w => w.WriteBoolean("live", true))));
        app.MapGet("/v2/health/ready", (RequestDelegate)(c => ReadyAnswer(c, name: null)));
        app.MapGet("/v2", (RequestDelegate)(c => Json(c, 200, w =>
        {
            w.WriteString("name", "mlops-server");
            w.WriteString("version", typeof(ModelServer).Assembly.GetName().Version?.ToString() ?? "");
            w.WriteStartArray("extensions");
            w.WriteEndArray();
        })));
        foreach (var prefix in new[] { "/v2/models/{name}", "/v2/models/{name}/versions/{version}" })
        {
            app.MapGet(prefix, (RequestDelegate)(c => Metadata(c)));
            app.MapGet(prefix + "/ready", (RequestDelegate)(c => ReadyAnswer(c, Named(c))));
            app.MapPost(prefix + "/infer", (RequestDelegate)(c => Infer(c)));
        }
        app.MapPost("/predict", (RequestDelegate)(c => Predict(c)));
        app.MapPost("/feedback", (RequestDelegate)(c => Feedback(c)));
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapGet("/metrics", (RequestDelegate)(async c =>
        {
            c.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await _metrics.Registry.CollectAndExportAsTextAsync(c.Response.Body, c.RequestAborted);
        }));
        return app;
    }

    /// <summary>
    /// Counts and times every request, and turns every refusal into the protocol's <c>{"error": ...}</c>. Every answer
    /// carries an X-Request-Id: the client's when it is a safe id (<see cref="PredictionLog.IsRequestId"/>), else a new one.
    /// </summary>
    private async Task Measured(HttpContext context, RequestDelegate next)
    {
        var clock = Stopwatch.StartNew();
        var id = context.Request.Headers[RequestIdHeader] is [{ } given] && PredictionLog.IsRequestId(given) ? given : PredictionLog.NewRequestId();
        context.Items[RequestIdHeader] = id;
        context.Response.Headers[RequestIdHeader] = id;
        try
        {
            await next(context);
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested || e is ClientHungUpException)
        {
            _ = e; // the client went away: there is no one to answer
            context.Response.StatusCode = 499;
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var (status, message) = e switch
            {
                RequestRejectedException rejected => (rejected.Status, rejected.Message),
                BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == 413
                    ? $"The body is larger than {_options.MaxBodyBytes} bytes." : $"The request is malformed: {bad.Message}"),
                MlopsException known => (ErrorKinds.HttpStatus(known.Kind), known.Message),
                _ => (500, $"Internal error: {e.GetType().Name}."),
            };
            if (status == 413)
            {
                // The rest of the body was never read: the connection cannot carry another request.
                context.Response.Headers.Connection = "close";
            }
            await Error(context, status, message);
        }
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
        _metrics.Request(route, context.Response.StatusCode, _version, clock.Elapsed.TotalSeconds);
    }

    private const string RequestIdHeader = "X-Request-Id";

    private Loaded Model() => _loaded ?? throw new RequestRejectedException($"Model {_bundle.Name} is not ready yet.", 503);

    /// <summary>The route's model name and version must be this server's; otherwise the protocol's 404.</summary>
    private string Named(HttpContext context)
    {
        var name = (string)context.Request.RouteValues["name"]!;
        var version = context.Request.RouteValues["version"] as string;
        if (name != _bundle.Name || (version is not null && version != _version))
        {
            throw new RequestRejectedException(
                $"No model {name}{(version is null ? "" : $" version {version}")}; this server serves {_bundle.Name} version {_version}.", 404);
        }
        return name;
    }

    private Task ReadyAnswer(HttpContext context, string? name)
    {
        var ready = _loaded is not null;
        return Json(context, ready ? 200 : 503, w =>
        {
            if (name is not null)
            {
                w.WriteString("name", name);
            }
            w.WriteBoolean("ready", ready);
        });
    }

    private Task Metadata(HttpContext context)
    {
        var name = Named(context);
        var model = Model().Model;
        return Json(context, 200, w =>
        {
            w.WriteString("name", name);
            w.WriteStartArray("versions");
            w.WriteStringValue(_version);
            w.WriteEndArray();
            w.WriteString("platform", "mlnet");
            Tensors(w, "inputs", model.Inputs);
            Tensors(w, "outputs", model.Outputs);
        });
    }

    private static void Tensors(Utf8JsonWriter w, string key, IReadOnlyList<ServedColumn> columns)
    {
        w.WriteStartArray(key);
        foreach (var column in columns)
        {
            w.WriteStartObject();
            w.WriteString("name", column.Name);
            w.WriteString("datatype", column.Type.Datatype);
            w.WriteStartArray("shape");
            w.WriteNumberValue(-1);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private async Task Infer(HttpContext context)
    {
        var name = Named(context);
        var (model, requests) = Model();
        var clock = Stopwatch.StartNew();
        using var body = TabularRequests.Parse(await Body(context));
        var (rows, wanted, id) = requests.ReadInfer(body.RootElement);
        var outputs = model.Predict(rows);
        Handed(context, model, rows, outputs, clock);
        await Json(context, 200, w =>
        {
            w.WriteString("model_name", name);
            w.WriteString("model_version", _version);
            if (id is not null)
            {
                w.WriteString("id", id);
            }
            w.WriteStartArray("outputs");
            foreach (var index in wanted)
            {
                var column = model.Outputs[index];
                w.WriteStartObject();
                w.WriteString("name", column.Name);
                w.WriteString("datatype", column.Type.Datatype);
                w.WriteStartArray("shape");
                w.WriteNumberValue(outputs.Count);
                w.WriteEndArray();
                w.WriteStartArray("data");
                foreach (var row in outputs)
                {
                    ColumnType.Write(w, row[index]);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    private async Task Predict(HttpContext context)
    {
        var (model, requests) = Model();
        var clock = Stopwatch.StartNew();
        using var body = TabularRequests.Parse(await Body(context));
        var (rows, single) = requests.ReadPredict(body.RootElement);
        var outputs = model.Predict(rows);
        Handed(context, model, rows, outputs, clock);
        await Json(context, 200, w =>
        {
            if (!single)
            {
                w.WriteStartArray();
            }
            foreach (var row in outputs)
            {
                w.WriteStartObject();
                for (var i = 0; i < model.Outputs.Count; i++)
                {
                    w.WritePropertyName(model.Outputs[i].Name);
                    ColumnType.Write(w, row[i]);
                }
                w.WriteEndObject();
            }
            if (!single)
            {
                w.WriteEndArray();
            }
        }, wrap: false);
    }

    /// <summary>Counts the predictions and offers those of the sampled requests to the hook, which never waits.</summary>
    private void Handed(HttpContext context, ServedModel model, IReadOnlyList<object?[]> rows, IReadOnlyList<object?[]> outputs, Stopwatch clock)
    {
        _metrics.Predictions(model, _version, outputs);
        if (_options.LogSample < 1 && Random.Shared.NextDouble() >= _options.LogSample)
        {
            return;
        }
        _hook.Offer(new PredictionRecord(DateTimeOffset.UtcNow, _bundle.Name, _bundle.Version,
            (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "", model.Inputs.Select(c => c.Name).ToList(), rows,
            model.Outputs.Select(c => c.Name).ToList(), outputs, clock.Elapsed.TotalSeconds) { RequestId = (string)context.Items[RequestIdHeader]! });
    }

    /// <summary><c>POST /feedback</c>: labels for logged predictions, written to the log's feedback files; 202 once written.</summary>
    private async Task Feedback(HttpContext context)
    {
        if (_log is null)
        {
            throw new RequestRejectedException("This server keeps no prediction log, so it takes no feedback; start it with a log (--log-predictions DIR).", 404);
        }
        using var body = TabularRequests.Parse(await Body(context));
        var labels = FeedbackRequests.Read(body.RootElement);
        try
        {
            _log.WriteFeedback(labels);
        }
        catch (IOException)
        {
            throw new RequestRejectedException("The prediction log cannot be written now; send the feedback again later.", 503);
        }
        _metrics.Feedback(labels.Count);
        await Json(context, 202, w => w.WriteNumber("accepted", labels.Count));
    }

    /// <summary>The request body, after checking its content type (415) and size (413).</summary>
    private async Task<ReadOnlyMemory<byte>> Body(HttpContext context)
    {
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            || !type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.Charset.HasValue && !type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)))
        {
            throw new RequestRejectedException(
                $"The content type is {(context.Request.ContentType is null ? "missing" : $"'{context.Request.ContentType}'")}; send application/json (UTF-8).", 415);
        }
        if (context.Request.ContentLength > _options.MaxBodyBytes)
        {
            throw new RequestRejectedException($"The body is larger than {_options.MaxBodyBytes} bytes.", 413);
        }
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            int read;
            try
            {
                read = await context.Request.Body.ReadAsync(buffer.GetMemory(4096), context.RequestAborted);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == 400 && context.Request.ContentLength > buffer.WrittenCount)
            {
                // The body ended before the length it announced: the client hung up. Kestrel may say so (a 400, unexpected
                // end of content) before it aborts the request, so the abort alone does not tell it.
                throw new ClientHungUpException(e);
            }
            if (read == 0)
            {
                return buffer.WrittenMemory;
            }
            buffer.Advance(read);
            if (buffer.WrittenCount > _options.MaxBodyBytes)
            {
                throw new RequestRejectedException($"The body is larger than {_options.MaxBodyBytes} bytes.", 413);
            }
        }
    }

    private sealed class ClientHungUpException(Exception inner) : Exception("The client hung up before sending the whole body.", inner);

    internal static Task Error(HttpContext context, int status, string message) => Json(context, status, w => w.WriteString("error", message));

    /// <summary>Writes a JSON answer: an object whose members <paramref name="write"/> writes, or, unwrapped, whatever it writes.</summary>
    internal static async Task Json(HttpContext context, int status, Action<Utf8JsonWriter> write, bool wrap = true)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        // Answers are JSON for programs, never HTML: quotes and apostrophes stay readable.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            if (wrap)
            {
                writer.WriteStartObject();
            }
            write(writer);
            if (wrap)
            {
                writer.WriteEndObject();
            }
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
