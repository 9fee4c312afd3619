using Microsoft.ML;
using MlopsNotebooks.Sweeps;

namespace MlopsNotebooks.Tests.Sweeps;

/// <summary>Small tabular data sets, generated with a seed, with a label each task's trainers read.</summary>
public static class SweepData
{
    public sealed class Row
    {
        public float A { get; set; }
        public float B { get; set; }
        public string Color { get; set; } = "";
        public bool Label { get; set; }
    }

    public sealed class NumberRow
    {
        public float A { get; set; }
        public float B { get; set; }
        public string Color { get; set; } = "";
        public float Label { get; set; }
    }

    public sealed class ClassRow
    {
        public float A { get; set; }
        public float B { get; set; }
        public string Color { get; set; } = "";
        public string Label { get; set; } = "";
    }

    /// <summary><paramref name="count"/> rows whose label follows A, B and the color with some noise, for <paramref name="task"/>.</summary>
    public static IDataView Generate(MLContext ml, MlTask task, int count, int seed)
    {
        var random = new Random(seed);
        var colors = new[] { "red", "green", "blue" };
        var rows = Enumerable.Range(0, count).Select(_ =>
        {
            var (a, b) = ((float)random.NextDouble() * 10, (float)random.NextDouble() * 10);
            var color = colors[random.Next(3)];
            var signal = a - b + (color == "red" ? 2 : 0) + (float)(random.NextDouble() * 4 - 2);
            return (a, b, color, signal);
        }).ToList();
        return task switch
        {
            MlTask.BinaryClassification => ml.Data.LoadFromEnumerable(rows.Select(r => new Row { A = r.a, B = r.b, Color = r.color, Label = r.signal > 0 })),
            MlTask.Regression => ml.Data.LoadFromEnumerable(rows.Select(r => new NumberRow { A = r.a, B = r.b, Color = r.color, Label = r.signal + 20 })),
            _ => ml.Data.LoadFromEnumerable(rows.Select(r => new ClassRow { A = r.a, B = r.b, Color = r.color, Label = r.signal < -2 ? "low" : r.signal < 2 ? "mid" : "high" })),
        };
    }

    /// <summary>The featurization every test uses: the color one-hot, then the numbers, normalized, as Features.</summary>
    public static IEstimator<ITransformer> Features(MLContext ml) =>
        ml.Transforms.Categorical.OneHotEncoding("ColorKey", "Color")
            .Append(ml.Transforms.Concatenate("Features", "A", "B", "ColorKey"))
            .Append(ml.Transforms.NormalizeMinMax("Features"));
}
