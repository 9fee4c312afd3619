using System.Text;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Views;

/// <summary>The plain-text summary of <c>mlops sync</c>.</summary>
public static class SyncText
{
    public static string Summary(SyncReport report)
    {
        var text = new StringBuilder();
        var verb = report.DryRun ? "Would copy" : "Copied";
        text.Append(Names.Printable($"{(report.DryRun ? "Dry run: " : "")}{report.From} -> {report.To}")).Append('\n');
        if (report.NothingToMove)
        {
            text.Append(report.DryRun ? "Nothing would move: " : "Nothing to move: ")
                .Append($"the destination has all {report.RunsUnchanged} runs and {report.VersionsUnchanged} model versions.\n");
        }
        else
        {
            // A dry run knows the sizes of run artifacts only; the registry's small files are counted, not sized.
            text.Append($"{verb} {report.Objects} objects ({(report.DryRun ? "at least " : "")}{DataText.Bytes(report.Bytes)}); ")
                .Append($"experiments: {report.Experiments} new; runs: {report.RunsCreated} new, {report.RunsUpdated} brought up to date, {report.RunsUnchanged} unchanged; ")
                .Append($"model versions: {report.VersionsCreated} new, {report.VersionsUnchanged} unchanged; aliases: {report.Aliases} set.\n");
        }
        if (report.Conflicts.Count > 0)
        {
            text.Append($"{report.Conflicts.Count} left as they are in the destination, which holds them with other content:\n");
            foreach (var conflict in report.Conflicts)
            {
                text.Append(Names.Printable($"  {conflict.Item}: {conflict.Reason}")).Append('\n');
            }
        }
        return text.ToString();
    }
}
