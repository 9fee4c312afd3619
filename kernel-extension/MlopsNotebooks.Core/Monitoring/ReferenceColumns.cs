using System.Buffers.Binary;
using System.Text;

namespace MlopsNotebooks.Monitoring;

/// <summary>
/// The exact reference's columns as one compact binary file (<see cref="Reference.ColumnsFile"/> in the export bundle).
/// Little-endian throughout:
/// <code>
/// file     = "MLRC" format:int32 columns:int32 column*
/// column   = name:string kind:byte missing:int64 (numbers | counts)
/// numbers  = runs:int32 (value:float64 count:int64)*      kind 0: strictly ascending finite values, counts ≥ 1
/// counts   = entries:int32 (category:string count:int64)*  kind 1: distinct categories, counts ≥ 1
/// string   = bytes:int32 UTF-8
/// </code>
/// Runs of equal values are stored once with their count. A reader refuses a newer format. The file is untrusted input:
/// every length is checked against the bytes that remain, and a numerical column may not expand to more than
/// <see cref="MaxValuesPerColumn"/> values, so a forged file fails with an <see cref="MlopsException"/>, never with a
/// huge allocation.
/// </summary>
public static class ReferenceColumns
{
    public const int CurrentFormat = 1;

    /// <summary>The most values a numerical column may hold (512 MB of doubles).</summary>
    public const long MaxValuesPerColumn = 1L << 26;

    private static readonly byte[] Magic = "MLRC"u8.ToArray();

    private const string Hint = "Export the model version again to write a fresh reference-columns.bin.";

    public static void Save(IEnumerable<ExactColumn> columns, Stream stream)
    {
        var list = columns.ToList();
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(CurrentFormat);
        writer.Write(list.Count);
        foreach (var column in list)
        {
            WriteString(writer, column.Name);
            writer.Write((byte)column.Kind);
            writer.Write(column.Missing);
            if (column.Kind == ColumnKind.Numerical)
            {
                var sorted = column.Sorted!;
                var runs = new List<(double Value, long Count)>();
                for (var i = 0; i < sorted.Length;)
                {
                    var end = i + 1;
                    while (end < sorted.Length && sorted[end] == sorted[i])
                    {
                        end++;
                    }
                    runs.Add((sorted[i], end - i));
                    i = end;
                }
                writer.Write(runs.Count);
                foreach (var (value, count) in runs)
                {
                    writer.Write(value);
                    writer.Write(count);
                }
            }
            else
            {
                var counts = column.Counts!.OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
                writer.Write(counts.Count);
                foreach (var (category, count) in counts)
                {
                    WriteString(writer, category);
                    writer.Write(count);
                }
            }
        }
    }

    private static void WriteString(BinaryWriter writer, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    public static IReadOnlyList<ExactColumn> Load(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var reader = new Reader(copy.GetBuffer().AsMemory(0, (int)copy.Length));
        if (!reader.Bytes(Magic.Length).Span.SequenceEqual(Magic))
        {
            throw Corrupt("it does not start with MLRC (it is not a reference columns file)");
        }
        var format = reader.Int32();
        if (format > CurrentFormat)
        {
            throw new MlopsException($"The reference columns file has format {format}, newer than this version of MlopsNotebooks reads ({CurrentFormat}).",
                "Update MlopsNotebooks to read it.");
        }
        if (format < 1)
        {
            throw Corrupt($"its format is {format}");
        }
        var count = reader.Length("column count", 4 + 1 + 8 + 4); // the smallest column: an empty name, kind, missing, no entries
        var columns = new List<ExactColumn>(count);
        for (var c = 0; c < count; c++)
        {
            var name = reader.String();
            var kind = reader.Byte();
            var missing = reader.Int64();
            if (missing < 0)
            {
                throw Corrupt($"column {name} has a negative missing count");
            }
            columns.Add(kind switch
            {
                (byte)ColumnKind.Numerical => new ExactColumn { Name = name, Kind = ColumnKind.Numerical, Sorted = ReadNumbers(reader, name), Missing = missing },
                (byte)ColumnKind.Categorical => new ExactColumn { Name = name, Kind = ColumnKind.Categorical, Counts = ReadCounts(reader, name), Missing = missing },
                _ => throw Corrupt($"column {name} has an unknown kind {kind}"),
            });
        }
        if (reader.Remaining != 0)
        {
            throw Corrupt($"{reader.Remaining} bytes follow the last column (the lengths do not add up)");
        }
        return columns;
    }

    private static double[] ReadNumbers(Reader reader, string name)
    {
        var runs = reader.Length("run count", 16);
        var values = new (double Value, long Count)[runs];
        long total = 0;
        for (var r = 0; r < runs; r++)
        {
            var value = reader.Double();
            var count = reader.Int64();
            if (!double.IsFinite(value))
            {
                throw Corrupt($"column {name} holds {value}");
            }
            if (r > 0 && !(value > values[r - 1].Value))
            {
                throw Corrupt($"column {name}'s values are not sorted");
            }
            if (count < 1 || count > MaxValuesPerColumn - total)
            {
                throw Corrupt($"column {name} has a run of {count} values (at most {MaxValuesPerColumn} values a column)");
            }
            total += count;
            values[r] = (value, count);
        }
        var sorted = new double[total];
        var at = 0;
        foreach (var (value, count) in values)
        {
            sorted.AsSpan(at, (int)count).Fill(value);
            at += (int)count;
        }
        return sorted;
    }

    private static Dictionary<string, long> ReadCounts(Reader reader, string name)
    {
        var entries = reader.Length("category count", 4 + 8);
        var counts = new Dictionary<string, long>(entries, StringComparer.Ordinal);
        for (var e = 0; e < entries; e++)
        {
            var category = reader.String();
            var count = reader.Int64();
            if (count < 1)
            {
                throw Corrupt($"column {name} has a count of {count} for {category}");
            }
            if (!counts.TryAdd(category, count))
            {
                throw Corrupt($"column {name} names {category} twice");
            }
        }
        return counts;
    }

    private static MlopsException Corrupt(string why) => new($"The reference columns file is damaged: {why}.", Hint);

    /// <summary>Reads little-endian fields from the file's bytes, each length checked against what remains.</summary>
    private sealed class Reader(ReadOnlyMemory<byte> bytes)
    {
        private int _at;

        public int Remaining => bytes.Length - _at;

        public ReadOnlyMemory<byte> Bytes(int count)
        {
            if (count > Remaining)
            {
                throw Corrupt($"it ends early (at byte {bytes.Length}; it was cut)");
            }
            var slice = bytes.Slice(_at, count);
            _at += count;
            return slice;
        }

        public byte Byte() => Bytes(1).Span[0];

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4).Span);

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8).Span);

        public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Bytes(8).Span);

        /// <summary>A count of items of at least <paramref name="itemBytes"/> bytes each, which must fit in what remains.</summary>
        public int Length(string what, int itemBytes)
        {
            var length = Int32();
            if (length < 0 || (long)length * itemBytes > Remaining)
            {
                throw Corrupt($"its {what} of {length} does not fit in the {Remaining} bytes that remain");
            }
            return length;
        }

        public string String()
        {
            var length = Length("text length", 1);
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Bytes(length).Span);
            }
            catch (DecoderFallbackException)
            {
                throw Corrupt("a name is not UTF-8");
            }
        }
    }
}
