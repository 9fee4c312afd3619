using Microsoft.ML.Data;

/// <summary>One customer: what we know of them, and whether they left.</summary>
public sealed class Customer
{
    [LoadColumn(0)]
    public float TenureMonths { get; set; }

    [LoadColumn(1)]
    public float MonthlyCharges { get; set; }

    [LoadColumn(2)]
    public float SupportCalls { get; set; }

    [LoadColumn(3)]
    public string Contract { get; set; } = "";

    [LoadColumn(4)]
    public string Internet { get; set; } = "";

    [LoadColumn(5)]
    public float SeniorCitizen { get; set; }

    [LoadColumn(6), ColumnName("Label")]
    public bool Churned { get; set; }
}

/// <summary>
/// A churn-like data set made up with a fixed seed, so every run of the demo sees the same customers: churn grows with
/// monthly charges and support calls, falls with tenure and longer contracts, plus noise.
/// </summary>
public static class ChurnData
{
    public static List<Customer> Generate(int count, int seed)
    {
        var random = new Random(seed);
        string[] contracts = ["month-to-month", "one-year", "two-year"];
        string[] internet = ["none", "dsl", "fiber"];
        var customers = new List<Customer>(count);
        for (var i = 0; i < count; i++)
        {
            var contract = contracts[Pick(random, [0.55, 0.25, 0.20])];
            var service = internet[Pick(random, [0.2, 0.35, 0.45])];
            var tenure = (float)Math.Round(random.NextDouble() * 72);
            var charges = (float)Math.Round(20 + random.NextDouble() * 60 + (service == "fiber" ? 30 : service == "dsl" ? 10 : 0), 2);
            var calls = (float)Poisson(random, 1.5);
            var senior = random.NextDouble() < 0.16 ? 1f : 0f;
            var logit = -1.2 - 0.045 * tenure + 0.025 * (charges - 60) + 0.45 * calls + 0.4 * senior
                + (contract == "month-to-month" ? 1.3 : contract == "one-year" ? -0.2 : -1.1)
                + (service == "fiber" ? 0.5 : 0) + Gaussian(random) * 0.6;
            customers.Add(new Customer
            {
                TenureMonths = tenure,
                MonthlyCharges = charges,
                SupportCalls = calls,
                Contract = contract,
                Internet = service,
                SeniorCitizen = senior,
                Churned = random.NextDouble() < 1 / (1 + Math.Exp(-logit)),
            });
        }
        return customers;
    }

    private static int Pick(Random random, double[] weights)
    {
        var u = random.NextDouble();
        for (var i = 0; i < weights.Length; i++)
        {
            if ((u -= weights[i]) < 0)
            {
                return i;
            }
        }
        return weights.Length - 1;
    }

    private static int Poisson(Random random, double mean)
    {
        var (limit, k, p) = (Math.Exp(-mean), 0, 1.0);
        while ((p *= random.NextDouble()) > limit)
        {
            k++;
        }
        return k;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
