using Microsoft.ML;
using MlopsNotebooks.Tests.Registry;

namespace MlopsNotebooks.Tests.Support;

/// <summary>Customers of a small churn data set and the classifier the monitoring tests train, register and serve.</summary>
public static class ChurnRows
{
    /// <summary><paramref name="count"/> customers; <paramref name="tenureShift"/> moves their tenure (a drift).</summary>
    public static List<Row> Rows(int count, int seed, float tenureShift = 0)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var tenure = random.Next(0, 60) + tenureShift + (float)random.NextDouble();
            var calls = (float)random.Next(0, 6);
            return new Row { Tenure = tenure, Calls = calls, Plan = random.Next(3) == 0 ? "pro" : "basic", Label = calls * 10 > tenure };
        }).ToList();
    }

    /// <summary>A binary classifier fitted on the rows, and the rows as the data view it was trained on.</summary>
    public static (ITransformer Model, IDataView Data) Train(List<Row> rows)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Categorical.OneHotEncoding("PlanKey", "Plan")
            .Append(ml.Transforms.Concatenate("Features", "Tenure", "Calls", "PlanKey"))
            .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression(maximumNumberOfIterations: 5));
        return (pipeline.Fit(data), data);
    }
}
