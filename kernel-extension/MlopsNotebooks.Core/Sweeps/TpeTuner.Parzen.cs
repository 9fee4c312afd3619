using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace MlopsNotebooks.Sweeps;

/// <summary>
/// Where TPE models a number: the value itself or its logarithm, between bounds. An integer owns the unit interval
/// around it (so each integer at the ends is as likely as one inside), and a linear one is scored by the mass of that
/// interval, since the trial runs the rounded value.
/// </summary>
internal readonly record struct NumberScale(double Low, double High, bool Log, bool Integer, long IntLow, long IntHigh, bool IsPoint)
{
    public static NumberScale Of(Hyperparameter parameter) => parameter switch
    {
        IntParameter p when p.Log => new(Math.Log(p.Low - 0.5), Math.Log(p.High + 0.5), true, true, p.Low, p.High, p.Low >= p.High),
        IntParameter p => new(p.Low - 0.5, p.High + 0.5, false, true, p.Low, p.High, p.Low >= p.High),
        FloatParameter p when p.Log => new(Math.Log(p.Low), Math.Log(p.High), true, false, 0, 0, p.Low >= p.High),
        FloatParameter p => new(p.Low, p.High, false, false, 0, 0, p.Low >= p.High),
        _ => throw new ArgumentOutOfRangeException(nameof(parameter), parameter, "Not a number hyperparameter."),
    };

    /// <summary>Whether a linear integer is scored by the mass of its unit interval rather than by a density.</summary>
    public bool Discrete => Integer && !Log;

    /// <summary>A trial's value where the model sees it; false for a value the range does not hold (the space changed).</summary>
    public bool TryToModel(object value, out double x)
    {
        var number = value switch { long l => l, int i => i, double d => d, float f => f, _ => double.NaN };
        x = Log ? (number > 0 ? Math.Log(number) : double.NaN) : number;
        return x >= Low && x <= High;
    }

    /// <summary>The trial's value for a point of the model: an integer rounded and kept in its range, a float kept in its range.</summary>
    public object FromModel(double x)
    {
        var value = Log ? Math.Exp(x) : x;
        return Integer
            ? (object)Math.Clamp((long)Math.Round(value, MidpointRounding.ToEven), IntLow, IntHigh)
            : (object)Math.Clamp(value, Log ? Math.Exp(Low) : Low, Log ? Math.Exp(High) : High);
    }
}

/// <summary>
/// A mixture of normal kernels truncated to the scale's bounds: one per trial at its value, and the prior (centred, as
/// wide as the range). A kernel is as wide as the larger gap to its neighbours (the bounds count as neighbours, except
/// for the outermost kernels), no narrower than the range over min(100, kernels + 1) and no wider than the range.
/// </summary>
internal sealed class ParzenEstimator
{
    private readonly NumberScale _scale;
    private readonly double[] _weights;
    private readonly double[] _mus;
    private readonly double[] _sigmas;
    private readonly double[] _logMass;
    private readonly double[] _logWeights;

    public ParzenEstimator(NumberScale scale, IReadOnlyList<double> points, double[] weights, double priorWeight)
    {
        _scale = scale;
        _weights = weights;
        var n = points.Count;
        var range = scale.High - scale.Low;
        _mus = new double[n + 1];
        for (var i = 0; i < n; i++)
        {
            _mus[i] = points[i];
        }
        _mus[n] = 0.5 * (scale.Low + scale.High);

        var order = Enumerable.Range(0, n + 1).OrderBy(i => _mus[i]).ThenBy(i => i).ToArray();
        _sigmas = new double[n + 1];
        for (var k = 0; k < order.Length; k++)
        {
            var left = k == 0 ? scale.Low : _mus[order[k - 1]];
            var right = k == order.Length - 1 ? scale.High : _mus[order[k + 1]];
            var mu = _mus[order[k]];
            var sigma = Math.Max(mu - left, right - mu);
            if (order.Length >= 2 && k == 0)
            {
                sigma = right - mu;
            }
            else if (order.Length >= 2 && k == order.Length - 1)
            {
                sigma = mu - left;
            }
            _sigmas[order[k]] = Math.Clamp(sigma, range / Math.Min(100.0, 1.0 + _mus.Length), range);
        }
        _sigmas[n] = range;

        _logMass = new double[n + 1];
        _logWeights = new double[n + 1];
        for (var i = 0; i <= n; i++)
        {
            _logMass[i] = Math.Log(StandardMass((scale.Low - _mus[i]) / _sigmas[i], (scale.High - _mus[i]) / _sigmas[i]));
            _logWeights[i] = Math.Log(weights[i]);
        }
    }

    /// <summary>A point of the model: a kernel chosen by weight, then its truncated normal by inverting the CDF.</summary>
    public double Sample(Random random)
    {
        var k = TpeTuner.Draw(_weights, random);
        var a = StandardCdf((_scale.Low - _mus[k]) / _sigmas[k]);
        var b = StandardCdf((_scale.High - _mus[k]) / _sigmas[k]);
        var p = Math.Clamp(a + random.NextDouble() * (b - a), 1e-300, 1 - 1e-16);
        return Math.Clamp(_mus[k] + _sigmas[k] * Normal.InvCDF(0, 1, p), _scale.Low, _scale.High);
    }

    /// <summary>The log of the mixture's density at <paramref name="x"/> (its probability, for a discrete scale).</summary>
    public double LogDensity(double x)
    {
        var terms = new double[_mus.Length];
        var max = double.NegativeInfinity;
        for (var i = 0; i < _mus.Length; i++)
        {
            double log;
            if (_scale.Discrete)
            {
                var lower = (Math.Max(x - 0.5, _scale.Low) - _mus[i]) / _sigmas[i];
                var upper = (Math.Min(x + 0.5, _scale.High) - _mus[i]) / _sigmas[i];
                log = Math.Log(StandardMass(lower, upper));
            }
            else
            {
                var z = (x - _mus[i]) / _sigmas[i];
                log = -0.5 * z * z - Math.Log(_sigmas[i]) - LogSqrtTwoPi;
            }
            terms[i] = log - _logMass[i] + _logWeights[i];
            max = Math.Max(max, terms[i]);
        }
        if (double.IsNegativeInfinity(max))
        {
            return max;
        }
        var sum = 0.0;
        for (var i = 0; i < terms.Length; i++)
        {
            sum += Math.Exp(terms[i] - max);
        }
        return max + Math.Log(sum);
    }

    private static readonly double LogSqrtTwoPi = 0.5 * Math.Log(2 * Math.PI);

    private static double StandardCdf(double z) => 0.5 * SpecialFunctions.Erfc(-z / Math.Sqrt(2));

    /// <summary>P(a &lt;= Z &lt;= b) for a standard normal, from the tail nearer to the interval so that far tails keep their digits.</summary>
    private static double StandardMass(double a, double b)
    {
        const double root2 = 1.4142135623730951;
        if (a >= 0)
        {
            return 0.5 * (SpecialFunctions.Erfc(a / root2) - SpecialFunctions.Erfc(b / root2));
        }
        if (b <= 0)
        {
            return 0.5 * (SpecialFunctions.Erfc(-b / root2) - SpecialFunctions.Erfc(-a / root2));
        }
        return 1 - 0.5 * SpecialFunctions.Erfc(-a / root2) - 0.5 * SpecialFunctions.Erfc(b / root2);
    }
}
