/// <summary>A tabular binary data set, generated with a fixed seed: numeric and categorical columns and the label.</summary>
internal sealed record DataSet(string Name, string[] NumberColumns, string[] CategoryColumns, List<DataRow> Rows);

internal sealed record DataRow(float[] Numbers, string[] Categories, bool Label);

internal static class DataSets
{
    /// <summary>The churn customers of notebooks/churn.ipynb (its generator, its default rows and seed).</summary>
    public static DataSet Churn()
    {
        const int count = 6000, seed = 42;
        var random = new Random(seed);
        string[] contracts = ["month-to-month", "one-year", "two-year"];
        string[] internet = ["none", "dsl", "fiber"];
        int Pick(double[] weights)
        {
            var u = random.NextDouble();
            for (var i = 0; i < weights.Length; i++) { if ((u -= weights[i]) < 0) return i; }
            return weights.Length - 1;
        }
        var rows = new List<DataRow>(count);
        for (var i = 0; i < count; i++)
        {
            var contract = contracts[Pick([0.55, 0.25, 0.20])];
            var service = internet[Pick([0.2, 0.35, 0.45])];
            var tenure = (float)Math.Round(random.NextDouble() * 72);
            var charges = (float)Math.Round(20 + random.NextDouble() * 60 + (service == "fiber" ? 30 : service == "dsl" ? 10 : 0), 2);
            var (limit, calls, p) = (Math.Exp(-1.5), 0, 1.0);
            while ((p *= random.NextDouble()) > limit) { calls++; }
            var senior = random.NextDouble() < 0.16 ? 1f : 0f;
            var noise = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            var logit = -1.2 - 0.045 * tenure + 0.025 * (charges - 60) + 0.45 * calls + 0.4 * senior
                + (contract == "month-to-month" ? 1.3 : contract == "one-year" ? -0.2 : -1.1) + (service == "fiber" ? 0.5 : 0) + noise * 0.6;
            var churned = random.NextDouble() < 1 / (1 + Math.Exp(-logit));
            rows.Add(new DataRow([tenure, charges, calls, senior], [contract, service], churned));
        }
        return new DataSet("churn", ["TenureMonths", "MonthlyCharges", "SupportCalls", "SeniorCitizen"], ["Contract", "Internet"], rows);
    }

    /// <summary>
    /// Credit card holders and whether they default next month, in the shape of the public "default of credit card
    /// clients" data: limit, age, education, marriage, repayment delays, bills and payments. Default follows thresholds
    /// and interactions (a linear model misses some), with noise and 4% of labels flipped.
    /// </summary>
    public static DataSet Credit()
    {
        const int count = 10_000, seed = 2005;
        var random = new Random(seed);
        string[] educations = ["graduate", "university", "high-school", "other"];
        string[] marriages = ["married", "single", "other"];
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var rows = new List<DataRow>(count);
        for (var i = 0; i < count; i++)
        {
            var education = educations[random.NextDouble() switch { < 0.35 => 0, < 0.8 => 1, < 0.97 => 2, _ => 3 }];
            var marriage = marriages[random.NextDouble() switch { < 0.45 => 0, < 0.98 => 1, _ => 2 }];
            var age = (float)Math.Clamp(Math.Round(35 + 9 * Normal()), 21, 75);
            var limit = (float)Math.Round(Math.Exp(11.5 + 0.8 * Normal() + (education == "graduate" ? 0.3 : 0)) / 1000) * 1000;
            var risk = Normal();
            var delays = new float[3];
            for (var m = 0; m < 3; m++)
            {
                var d = Math.Round(-0.5 + 1.2 * risk + 0.8 * Normal() + (m > 0 ? 0.5 * delays[m - 1] : 0));
                delays[m] = (float)Math.Clamp(d, -1, 8);
            }
            var utilization = Math.Clamp(0.45 + 0.25 * risk + 0.25 * Normal(), 0, 1.2);
            var bill = (float)Math.Round(limit * utilization);
            var paid = (float)Math.Round(bill * Math.Clamp(0.3 - 0.15 * risk + 0.2 * Normal(), 0, 1));
            var logit = -2.0
                + 0.9 * Math.Max(delays[0], 0) + 0.35 * Math.Max(delays[1], 0) + (delays[0] >= 2 && delays[1] >= 2 ? 1.0 : 0)
                + (utilization > 0.9 ? 1.1 : 0) + (age < 27 && utilization > 0.7 ? 0.8 : 0)
                - 1.2 * (bill > 0 ? paid / bill : 1) + (limit < 30_000 ? 0.6 : 0)
                + (education == "high-school" ? 0.3 : 0) + (marriage == "single" ? 0.15 : 0) + 0.5 * Normal();
            var defaulted = random.NextDouble() < 1 / (1 + Math.Exp(-logit));
            if (random.NextDouble() < 0.04)
            {
                defaulted = !defaulted;
            }
            rows.Add(new DataRow([limit, age, delays[0], delays[1], delays[2], bill, paid], [education, marriage], defaulted));
        }
        return new DataSet("credit", ["LimitBalance", "Age", "PayDelay1", "PayDelay2", "PayDelay3", "BillAmount", "PaidAmount"],
            ["Education", "Marriage"], rows);
    }
}
