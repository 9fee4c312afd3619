namespace MlopsNotebooks.Cli.Monitor;

/// <summary>
/// <c>mlops monitor</c>: the model (a bundle folder, or name@alias exported from the registry), the prediction log and
/// its window, where the service's health is read, how drift is judged, where the report goes, and what to do on GitHub.
/// </summary>
internal sealed record MonitorSettings(
    string? Bundle,
    string? Model,
    string Log,
    string? Window,
    string? Since,
    string? Until,
    string? PrometheusUrl,
    string? MetricsUrl,
    string? MetricsInterval,
    string Mode,
    string Test,
    double? Threshold,
    double DriftShare,
    double MaxErrorRate,
    double MaxP99Milliseconds,
    string? ReportFolder,
    bool GitHubIssue,
    string? RetrainWorkflow,
    string RetrainRef,
    bool FailOnDrift);
