using System.Text.Json.Nodes;
using MlopsNotebooks.Storage;

namespace MlopsNotebooks.Views;

/// <summary>The JSON of <c>mlops sync</c>, for machines.</summary>
public static class SyncJson
{
    public static JsonObject Summary(SyncReport report) => new()
    {
        ["from"] = report.From,
        ["to"] = report.To,
        ["dry_run"] = report.DryRun,
        ["experiments"] = new JsonObject { ["created"] = report.Experiments },
        ["runs"] = new JsonObject { ["created"] = report.RunsCreated, ["updated"] = report.RunsUpdated, ["unchanged"] = report.RunsUnchanged },
        ["model_versions"] = new JsonObject { ["created"] = report.VersionsCreated, ["unchanged"] = report.VersionsUnchanged },
        ["aliases"] = new JsonObject { ["set"] = report.Aliases },
        ["objects"] = new JsonObject { ["copied"] = report.Objects, ["bytes"] = report.Bytes },
        ["conflicts"] = RunJson.Array(report.Conflicts, c => new JsonObject { ["item"] = c.Item, ["reason"] = c.Reason }),
    };
}
