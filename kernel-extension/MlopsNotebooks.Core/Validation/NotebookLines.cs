namespace MlopsNotebooks.Validation;

/// <summary>Where a cell's line is in the notebook file as committed, so that an annotation lands on it in the diff.</summary>
public static class NotebookLines
{
    /// <summary>
    /// The file line of line <paramref name="lineInCell"/> (1-based; the cell's first line when null) of cell
    /// <paramref name="cell"/> (1-based), or 1 when the file is not laid out as nbformat and .dib writers lay it out.
    /// </summary>
    public static int Locate(string path, int cell, int? lineInCell)
    {
        if (!File.Exists(path))
        {
            return 1;
        }
        if (path.EndsWith(".cs", StringComparison.OrdinalIgnoreCase))
        {
            return lineInCell ?? 1; // a file-based app is one cell: its lines are the file's
        }
        var lines = File.ReadAllLines(path);
        var offset = Math.Max(0, (lineInCell ?? 1) - 1);
        if (path.EndsWith(".dib", StringComparison.OrdinalIgnoreCase))
        {
            // Cells start after a #!kernel line (#!meta is the header, not a cell); a blank line follows the marker.
            var seen = 0;
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].StartsWith("#!", StringComparison.Ordinal) && !lines[i].StartsWith("#!meta", StringComparison.Ordinal)
                    && (i == 0 || lines[i - 1].Length == 0) && lines[i].Trim().Length > 2 && !lines[i].Contains(' ') && ++seen == cell)
                {
                    var first = i + 1;
                    while (first < lines.Length && lines[first].Length == 0)
                    {
                        first++;
                    }
                    return first + offset + 1;
                }
            }
            return 1;
        }
        // nbformat's writers put each cell's "source": [ on its own line and each source line on the next lines.
        var cells = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("\"cell_type\":", StringComparison.Ordinal))
            {
                cells++;
            }
            if (cells == cell && lines[i].TrimStart().StartsWith("\"source\":", StringComparison.Ordinal))
            {
                return lines[i].TrimEnd().EndsWith('[') ? i + 2 + offset : i + 1;
            }
        }
        return 1;
    }
}
