using System.Globalization;
using System.Text.Json;

namespace MlopsNotebooks.Monitoring;

/// <summary>How the kit writes a row's values as JSON: in the server's answers and in the prediction log alike.</summary>
public static class JsonValues
{
    /// <summary>
    /// A value as JSON: numbers as numbers (a float printed with its shortest round-trip form), text as text, vectors as
    /// arrays, and null for what has no JSON form (missing, NaN, infinities).
    /// </summary>
    public static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case float f when float.IsFinite(f):
                // The shortest text that reads back as the same float, not the double's longer one.
                writer.WriteRawValue(f.ToString("R", CultureInfo.InvariantCulture));
                break;
            case double d when double.IsFinite(d):
                writer.WriteNumberValue(d);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case uint u:
                writer.WriteNumberValue(u);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case ReadOnlyMemory<char> text:
                writer.WriteStringValue(text.Span);
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case System.Collections.IEnumerable vector:
                writer.WriteStartArray();
                foreach (var item in vector)
                {
                    Write(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                writer.WriteNullValue(); // missing, NaN and infinities have no JSON form
                break;
        }
    }
}
