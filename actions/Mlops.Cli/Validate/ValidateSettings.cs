using MlopsNotebooks.Validation;

namespace MlopsNotebooks.Cli.Validate;

/// <summary>What both validate commands are asked: the validation, and where the report data and the next baseline go.</summary>
internal sealed record ValidateSettings(ValidateRequest Request, string? ReportPath, string? MetricsPath);
