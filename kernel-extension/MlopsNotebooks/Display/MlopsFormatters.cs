using Microsoft.DotNet.Interactive.Formatting;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

using MlopsNotebooks.Views;

namespace MlopsNotebooks.Display;

/// <summary>
/// Formatters that belong to the kit's types, registered with Microsoft.DotNet.Interactive.Formatting: a run, a run
/// list, a comparison, a data version, a model version render the same in the kernel and in the headless runner,
/// whether a magic command returned them or a cell evaluated them. Hosts call <see cref="Register"/> once.
/// </summary>
public static class MlopsFormatters
{
    private static int _registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
        {
            return;
        }
        Html<Run>(RunHtml.Run);
        Html<RunList>(RunHtml.RunList);
        Html<RunComparison>(RunHtml.Comparison);
        Html<DataVersion>(RunHtml.DataVersion);
        Html<ModelVersion>(RunHtml.ModelVersion);
        Html<DriftReport>(DriftHtml.Report);
        Html<Sweeps.SweepStatus>(SweepHtml.Live);
        Html<Sweeps.SweepResult>(SweepHtml.Result);
        // Charts render through the kit's own HTML, not Plotly.NET.Interactive's: it loads plotly.js once per notebook,
        // also offline (PlotlyJs), and keeps run names data in the script.
        Html<Plotly.NET.GenericChart>(RunCharts.ToHtmlFragment);
        Text<Run>(r => RunText.RunDetail(r));
        Text<RunList>(RunText.RunList);
        Text<RunComparison>(RunText.Comparison);
        Text<DriftReport>(DriftText.Report);
    }

    private static void Html<T>(Func<T, string> view) =>
        Formatter.Register<T>((value, writer) => writer.Write(view(value)), HtmlFormatter.MimeType);

    private static void Text<T>(Func<T, string> view) =>
        Formatter.Register<T>((value, writer) => writer.Write(view(value)), PlainTextFormatter.MimeType);
}
