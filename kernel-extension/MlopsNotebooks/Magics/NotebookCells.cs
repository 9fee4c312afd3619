using System.Globalization;
using System.Text;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Magics;

/// <summary>What both notebook hosts record of each cell they run.</summary>
public static class NotebookCells
{
    /// <summary>A cell's own source hash and duration go into the run it ran in, if one is active.</summary>
    public static void Record(int number, string source, TimeSpan duration)
    {
        if (Mlops.ActiveRun is null)
        {
            return;
        }
        Mlops.SetTag($"mlops.cell.{number}.sha256", ContentHash.Of(Encoding.UTF8.GetBytes(source)).Hex);
        Mlops.SetTag($"mlops.cell.{number}.seconds", duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture));
    }
}
