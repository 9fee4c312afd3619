using System.Text;

namespace MlopsNotebooks.Views;

/// <summary>A plain-text table for terminals: left-aligned text, right-aligned numbers, two spaces between columns.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly string[] _headers = headers.Select(Tracking.Names.Printable).ToArray();
    private readonly List<string[]> _rows = [];

    public TextTable Add(params string?[] cells)
    {
        _rows.Add(cells.Select(c => Tracking.Names.Printable(c ?? "")).ToArray());
        return this;
    }

    public int Count => _rows.Count;

    public override string ToString()
    {
        var widths = _headers.Select((h, i) => Math.Max(h.Length, _rows.Select(r => i < r.Length ? r[i].Length : 0).DefaultIfEmpty(0).Max())).ToArray();
        var numeric = _headers.Select((_, i) => _rows.Count > 0 && _rows.All(r => i >= r.Length || r[i].Length == 0 || LooksNumeric(r[i]))).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells, bool header)
        {
            var line = new StringBuilder();
            for (var i = 0; i < _headers.Length; i++)
            {
                var cell = i < cells.Count ? cells[i] : "";
                var padded = numeric[i] && !header ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]);
                line.Append(i == 0 ? "" : "  ").Append(padded);
            }
            text.Append(line.ToString().TrimEnd()).Append('\n');
        }
        Line(_headers, header: true);
        foreach (var row in _rows)
        {
            Line(row, header: false);
        }
        return text.ToString();
    }

    private static bool LooksNumeric(string s) =>
        double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);
}
