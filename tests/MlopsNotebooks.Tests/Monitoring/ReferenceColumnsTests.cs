using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using MlopsNotebooks.Monitoring;
using Xunit;

namespace MlopsNotebooks.Tests.Monitoring;

public sealed class ReferenceColumnsTests
{
    private static byte[] Save(params ExactColumn[] columns)
    {
        using var stream = new MemoryStream();
        ReferenceColumns.Save(columns, stream);
        return stream.ToArray();
    }

    private static IReadOnlyList<ExactColumn> Load(byte[] bytes) => ReferenceColumns.Load(new MemoryStream(bytes));

    private static readonly ExactColumn Sample = ExactColumn.From(DataColumn.Numerical("age", [3, 1, 1, 2, double.NaN]));

    private static readonly ExactColumn Plan = ExactColumn.From(DataColumn.Categorical("plan", ["basic", "pro", "basic", null, "é"]));

    [Fact]
    public void Columns_come_back_as_they_were_saved()
    {
        Prop.ForAll(
                ArbMap.Default.GeneratorFor<NormalFloat>().Select(f => Math.Round(f.Get, 1)).ArrayOf().Zip(ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get).ArrayOf()).ToArbitrary(),
                pair =>
                {
                    var numbers = ExactColumn.From(DataColumn.Numerical("n", pair.Item1));
                    var categories = ExactColumn.From(DataColumn.Categorical("c", pair.Item2));
                    var loaded = Load(Save(numbers, categories));
                    return loaded.Count == 2 && loaded[0].Sorted!.SequenceEqual(numbers.Sorted!) && loaded[0].Missing == numbers.Missing
                        && loaded[1].Counts!.OrderBy(c => c.Key, StringComparer.Ordinal).SequenceEqual(categories.Counts!.OrderBy(c => c.Key, StringComparer.Ordinal))
                        && loaded[0].Name == "n" && loaded[1].Kind == ColumnKind.Categorical;
                })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_column_with_an_empty_name_and_no_values_comes_back()
    {
        var empty = ExactColumn.From(DataColumn.Numerical("", [double.NaN]));
        var loaded = Assert.Single(Load(Save(empty)));
        Assert.Equal(("", 0, 1L), (loaded.Name, loaded.Sorted!.Length, loaded.Missing));
    }

    [Fact]
    public void Runs_of_equal_values_are_stored_once()
    {
        var many = ExactColumn.From(DataColumn.Numerical("flag", Enumerable.Range(0, 100_000).Select(i => (double)(i % 2)).ToArray()));
        Assert.True(Save(many).Length < 100, $"{Save(many).Length} bytes");
        Assert.Equal(100_000, Load(Save(many))[0].Sorted!.Length);
    }

    [Fact]
    public void A_file_cut_anywhere_is_refused_with_a_hint()
    {
        var bytes = Save(Sample, Plan);
        for (var length = 0; length < bytes.Length; length++)
        {
            var error = Assert.Throws<MlopsException>(() => Load(bytes[..length]));
            Assert.NotNull(error.Hint);
        }
    }

    [Fact]
    public void Another_files_bytes_are_refused()
    {
        var error = Assert.Throws<MlopsException>(() => Load("{\"format\": 1}"u8.ToArray()));
        Assert.Contains("not a reference columns file", error.Message);
    }

    [Fact]
    public void A_newer_format_is_refused_with_the_update_as_the_hint()
    {
        var bytes = Save(Sample);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), ReferenceColumns.CurrentFormat + 1);
        var error = Assert.Throws<MlopsException>(() => Load(bytes));
        Assert.Contains("newer", error.Message);
        Assert.Contains("Update", error.Hint);
    }

    [Fact]
    public void Bytes_after_the_last_column_are_refused()
    {
        var error = Assert.Throws<MlopsException>(() => Load([.. Save(Sample), 0]));
        Assert.Contains("do not add up", error.Message);
    }

    // The first run's value of Sample starts after magic, format, count, name (4 + 3), kind, missing and the run count.
    private const int FirstValue = 4 + 4 + 4 + 4 + 3 + 1 + 8 + 4;

    [Fact]
    public void Unsorted_numbers_are_refused()
    {
        var bytes = Save(Sample);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(FirstValue), 10.0);
        Assert.Contains("not sorted", Assert.Throws<MlopsException>(() => Load(bytes)).Message);
    }

    [Fact]
    public void Not_a_number_is_refused()
    {
        var bytes = Save(Sample);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(FirstValue), double.NaN);
        Assert.Contains("NaN", Assert.Throws<MlopsException>(() => Load(bytes)).Message);
    }

    [Fact]
    public void A_forged_run_of_a_trillion_values_is_refused_before_any_allocation()
    {
        var bytes = Save(Sample);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(FirstValue + 8), 1L << 40);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Contains("run of", Assert.Throws<MlopsException>(() => Load(bytes)).Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Fact]
    public void Forged_counts_that_do_not_fit_in_the_file_are_refused()
    {
        foreach (var offset in new[] { 8, 12, FirstValue - 4 })
        {
            var bytes = Save(Sample);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), int.MaxValue);
            Assert.Contains("does not fit", Assert.Throws<MlopsException>(() => Load(bytes)).Message);
        }
    }
}
