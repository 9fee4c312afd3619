using Prometheus;

namespace MlopsNotebooks.Serving;

/// <summary>
/// The server's Prometheus metrics, in a registry of its own (so two servers in one process, as in the tests, keep
/// theirs apart): what a canary analysis reads (requests by route, status and model version; latency; errors) and
/// what monitoring watches (predictions by class or by value, the prediction hook's drops).
/// </summary>
internal sealed class ServerMetrics
{
    private readonly Counter _requests;
    private readonly Histogram _latency;
    private readonly Counter _errors;
    private readonly Counter _classes;
    private readonly Histogram _values;
    private readonly Counter _dropped;
    private readonly Counter _logged;
    private readonly Counter _feedback;
    private readonly Gauge _ready;

    public ServerMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("mlops_server_requests_total", "Requests answered, by route, status and model version.",
            new CounterConfiguration { LabelNames = ["route", "status", "model_version"] });
        _latency = factory.CreateHistogram("mlops_server_request_duration_seconds", "Time to answer a request, by route.",
            new HistogramConfiguration { LabelNames = ["route"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        _errors = factory.CreateCounter("mlops_server_errors_total", "Requests answered with an error status, by route and status.",
            new CounterConfiguration { LabelNames = ["route", "status"] });
        _classes = factory.CreateCounter("mlops_server_predictions_total", "Predictions made, by model version and predicted class (a classifier's).",
            new CounterConfiguration { LabelNames = ["model_version", "class"] });
        _values = factory.CreateHistogram("mlops_server_prediction_value", "Predicted values (a regression's score), by model version.",
            new HistogramConfiguration { LabelNames = ["model_version"], Buckets = [-1000, -100, -10, -1, 0, 1, 10, 100, 1000] });
        _dropped = factory.CreateCounter("mlops_server_prediction_log_dropped_total", "Predictions the prediction hook dropped: its queue was full or its sink failed.");
        _logged = factory.CreateCounter("mlops_server_predictions_logged_total", "Predicted rows written to the prediction log.");
        _feedback = factory.CreateCounter("mlops_server_feedback_total", "Labels accepted by POST /feedback and written to the prediction log.");
        _ready = factory.CreateGauge("mlops_server_model_ready", "1 once the model is loaded and its warm-up prediction passed.");
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public void Request(string route, int status, string version, double seconds)
    {
        var code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _requests.WithLabels(route, code, version).Inc();
        _latency.WithLabels(route).Observe(seconds);
        if (status >= 400)
        {
            _errors.WithLabels(route, code).Inc();
        }
    }

    public void Predictions(ServedModel model, string version, IReadOnlyList<object?[]> outputs)
    {
        if (model.LabelOutput is { } label)
        {
            foreach (var row in outputs)
            {
                _classes.WithLabels(version, row[label] is bool b ? (b ? "true" : "false") : Convert.ToString(row[label], System.Globalization.CultureInfo.InvariantCulture) ?? "").Inc();
            }
        }
        else if (model.ScoreOutput is { } score)
        {
            foreach (var row in outputs)
            {
                if (row[score] is float f)
                {
                    _values.WithLabels(version).Observe(f);
                }
            }
        }
    }

    public void Dropped() => _dropped.Inc();

    public void Logged(int rows) => _logged.Inc(rows);

    public void Feedback(int labels) => _feedback.Inc(labels);

    public void Ready() => _ready.Set(1);
}
