namespace MlopsNotebooks.Monitoring.Statistics;

/// <summary>
/// The p-values behind <see cref="DriftStatistics.KolmogorovSmirnov(double, long, long)"/>, ported from SciPy 1.10.1 step by step so that
/// they agree to rounding: the exact two-sample probability (scipy.stats._stats_py._attempt_exact_2kssamp and the
/// lattice-path counts it calls) and the one-sample distribution kstwo.sf (scipy.stats._ksstats._kolmogn, Simard and
/// L'Ecuyer's choice among Ruben-Gambino, Durbin/Marsaglia-Tsang-Wang, Pomeranz, Pelz-Good and Smirnov's formula).
/// </summary>
internal static class Kolmogorov
{
    private const int E128 = 128;
    private static readonly double Ep128 = Math.ScaleB(1.0, E128);
    private static readonly double Em128 = Math.ScaleB(1.0, -E128);
    private const double MinLog = -708;
    private static readonly double Sqrt2Pi = Math.Sqrt(2 * Math.PI);
    private static readonly double Log2Pi = Math.Log(2 * Math.PI);
    private static readonly double Sqrt3 = Math.Sqrt(3);
    private const double PiSquared = Math.PI * Math.PI;
    private const double PiFour = PiSquared * PiSquared;
    private const double PiSix = PiFour * PiSquared;

    private static readonly double[] StirlingCoefficients =
    [
        -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
        -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
    ];

    /// <summary>
    /// The exact two-sided p-value for samples of n1 and n2 values and statistic d, or null where SciPy's exact
    /// computation fails (it then falls back to the asymptotic one); <paramref name="d"/> is rounded to the lattice as SciPy does.
    /// </summary>
    public static double? ExactTwoSample(long n1, long n2, ref double d)
    {
        var g = Gcd(n1, n2);
        var lcm = n1 / g * n2;
        var h = (long)Math.Round(d * lcm, MidpointRounding.ToEven);
        d = (double)h / lcm;
        if (h == 0)
        {
            return 1.0;
        }
        var p = n1 == n2 ? ProbabilityOutsideSquare(n1, h) : OuterProbabilityInside(n1, n2, g, h);
        return p is >= 0 and <= 1 ? p : null;
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }
        return a;
    }

    // _compute_prob_outside_square: Pr(D_{n,n} >= h/n) by a Horner-like alternating sum.
    private static double ProbabilityOutsideSquare(long n, long h)
    {
        var p = 0.0;
        for (var k = n / h; k >= 0; k--)
        {
            var p1 = 1.0;
            for (long j = 0; j < h; j++)
            {
                p1 = (n - k * h - j) * p1 / (n + k * h + j + 1);
            }
            p = p1 * (1.0 - p);
        }
        return 2 * p;
    }

    // _compute_outer_prob_inside_method (Viehmann's recursion for 1 - p over a sliding window of the lattice column).
    private static double OuterProbabilityInside(long m, long n, long g, long h)
    {
        if (m < n)
        {
            (m, n) = (n, m);
        }
        var mg = m / g;
        var ng = n / g;
        long minj = 0;
        var maxj = Math.Min((long)Math.Ceiling((double)h / mg), n + 1);
        var curlen = maxj - minj;
        var lenA = Math.Min(2 * maxj + 2, n + 1);
        var a = new double[lenA];
        Array.Fill(a, 1.0);
        Array.Fill(a, 0.0, 0, (int)maxj);
        for (long i = 1; i <= m; i++)
        {
            var lastminj = minj;
            var lastlen = curlen;
            minj = Math.Max((long)Math.Floor((double)(ng * i - h) / mg) + 1, 0);
            minj = Math.Min(minj, n);
            maxj = Math.Min((long)Math.Ceiling((double)(ng * i + h) / mg), n + 1);
            if (maxj <= minj)
            {
                return 1.0;
            }
            var val = minj == 0 ? 0.0 : 1.0;
            for (long jj = 0; jj < maxj - minj; jj++)
            {
                var j = jj + minj;
                val = (a[jj + minj - lastminj] * i + val * j) / (i + j);
                a[jj] = val;
            }
            curlen = maxj - minj;
            if (lastlen > curlen)
            {
                Array.Fill(a, 1.0, (int)(maxj - minj), (int)Math.Min(lastlen - curlen, lenA - (maxj - minj)));
            }
        }
        return a[maxj - minj - 1];
    }

    /// <summary>kstwo.sf(x, n): Pr(D_n &gt; x) for the two-sided one-sample statistic (SciPy's _kolmogn with cdf=False).</summary>
    public static double TwoSidedSurvival(long n, double x)
    {
        if (x >= 1.0)
        {
            return 0.0;
        }
        if (x <= 0.0)
        {
            return 1.0;
        }
        var t = n * x;
        if (t <= 1.0)
        {
            if (t <= 0.5)
            {
                return 1.0;
            }
            double prob;
            if (n <= 140)
            {
                prob = 1.0;
                for (long i = 1; i <= n; i++)
                {
                    prob *= i * (1.0 / n) * (2 * t - 1);
                }
            }
            else
            {
                prob = Math.Exp(LogNFactorialDivNPowN(n) + n * Math.Log(2 * t - 1));
            }
            return Clip(1.0 - prob);
        }
        if (t >= n - 1)
        {
            return Clip(2 * Math.Pow(1.0 - x, n));
        }
        if (x >= 0.5)
        {
            return Clip(2 * Smirnov(n, x));
        }
        var nxSquared = t * x;
        if (n <= 140)
        {
            if (nxSquared <= 0.754693)
            {
                return Clip(1.0 - DurbinMtw(n, x));
            }
            if (nxSquared <= 4)
            {
                return Clip(1.0 - Pomeranz(n, x));
            }
            return Clip(2 * Smirnov(n, x));
        }
        if (nxSquared >= 370.0)
        {
            return 0.0;
        }
        if (nxSquared >= 2.2)
        {
            return Clip(2 * Smirnov(n, x));
        }
        var cdf = n <= 100000 && n * Math.Pow(x, 1.5) <= 1.4 ? DurbinMtw(n, x) : PelzGood(n, x);
        return Clip(1.0 - cdf);
    }

    private static double Clip(double p) => Math.Clamp(p, 0.0, 1.0);

    private static double LogNFactorialDivNPowN(long n)
    {
        var rn = 1.0 / n;
        var poly = 0.0;
        foreach (var c in StirlingCoefficients)
        {
            poly = poly * (rn / n) + c;
        }
        return Math.Log(n) / 2 - n + Log2Pi / 2 + rn * poly;
    }

    // _kolmogn_DMTW: Pr(D_n <= d) as the k-th diagonal entry of H^n (Durbin's matrix), scaled to stay in range.
    private static double DurbinMtw(long n, double d)
    {
        if (d >= 1.0)
        {
            return 1.0;
        }
        var nd = n * d;
        if (nd <= 0.5)
        {
            return 0.0;
        }
        var k = (int)Math.Ceiling(nd);
        var h = k - nd;
        var m = 2 * k - 1;
        var hm = new double[m, m];
        var v = new double[m];
        var w = new double[m];
        var fac = 1.0;
        for (var j = 1; j <= m; j++)
        {
            v[j - 1] = 1.0 - Math.Pow(h, j);
            w[j - 1] = fac;
            fac /= j;
            v[j - 1] *= fac;
        }
        var tt = Math.Pow(Math.Max(2 * h - 1.0, 0), m) - 2 * Math.Pow(h, m);
        v[m - 1] = (1.0 + tt) * fac;
        for (var i = 1; i < m; i++)
        {
            for (var r = i - 1; r < m; r++)
            {
                hm[r, i] = w[r - (i - 1)];
            }
        }
        for (var r = 0; r < m; r++)
        {
            hm[r, 0] = v[r];
        }
        for (var c = 0; c < m; c++)
        {
            hm[m - 1, c] = v[m - 1 - c];
        }
        var power = new double[m, m];
        for (var i = 0; i < m; i++)
        {
            power[i, i] = 1.0;
        }
        var nn = n;
        var exponent = 0;
        var hExponent = 0;
        while (nn > 0)
        {
            if (nn % 2 == 1)
            {
                power = Multiply(power, hm);
                exponent += hExponent;
            }
            hm = Multiply(hm, hm);
            hExponent *= 2;
            if (Math.Abs(hm[k - 1, k - 1]) > Ep128)
            {
                for (var r = 0; r < m; r++)
                {
                    for (var c = 0; c < m; c++)
                    {
                        hm[r, c] /= Ep128;
                    }
                }
                hExponent += E128;
            }
            nn /= 2;
        }
        var p = power[k - 1, k - 1];
        for (long i = 1; i <= n; i++)
        {
            p = i * p / n;
            if (Math.Abs(p) < Em128)
            {
                p *= Ep128;
                exponent -= E128;
            }
        }
        if (exponent != 0)
        {
            p = Math.ScaleB(p, exponent);
        }
        return Clip(p);
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        var m = a.GetLength(0);
        var result = new double[m, m];
        for (var i = 0; i < m; i++)
        {
            for (var k = 0; k < m; k++)
            {
                var aik = a[i, k];
                if (aik == 0)
                {
                    continue;
                }
                for (var j = 0; j < m; j++)
                {
                    result[i, j] += aik * b[k, j];
                }
            }
        }
        return result;
    }

    private static (long J1, long J2) PomeranzJ1J2(long i, long n, long ll, long ceilf, long roundf)
    {
        long j1, j2;
        if (i == 0)
        {
            (j1, j2) = (-ll - ceilf - 1, ll + ceilf - 1);
        }
        else
        {
            var ip1div2 = (i + 1) / 2;
            var ip1mod2 = (i + 1) % 2;
            if (ip1mod2 == 0)
            {
                (j1, j2) = ip1div2 == n + 1
                    ? (n - ll - ceilf - 1, n + ll + ceilf - 1)
                    : (ip1div2 - 1 - ll - roundf - 1, ip1div2 + ll - 1 + ceilf - 1);
            }
            else
            {
                (j1, j2) = (ip1div2 - 1 - ll - 1, ip1div2 + ll + roundf - 1);
            }
        }
        return (Math.Max(j1 + 2, 0), Math.Min(j2, n));
    }

    // _kolmogn_Pomeranz: Pr(D_n <= x) by Pomeranz's recursion, rows convolved with powers of the gaps.
    private static double Pomeranz(long n, double x)
    {
        var t = n * x;
        var ll = (long)Math.Floor(t);
        var f = t - ll;
        var g = Math.Min(f, 1.0 - f);
        long ceilf = f > 0 ? 1 : 0;
        long roundf = f > 0.5 ? 1 : 0;
        var npwrs = (int)(2 * (ll + 1));
        var gpower = new double[npwrs];
        var twogpower = new double[npwrs];
        var onem2gpower = new double[npwrs];
        gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
        var exponent = 0;
        double gOverN = g / n, twoGOverN = 2 * g / n, oneMinusTwoGOverN = (1 - 2 * g) / n;
        for (var m = 1; m < npwrs; m++)
        {
            gpower[m] = gpower[m - 1] * gOverN / m;
            twogpower[m] = twogpower[m - 1] * twoGOverN / m;
            onem2gpower[m] = onem2gpower[m - 1] * oneMinusTwoGOverN / m;
        }
        var v0 = new double[npwrs];
        var v1 = new double[npwrs];
        v1[0] = 1;
        long v0s = 0, v1s = 0;
        var (j1, j2) = PomeranzJ1J2(0, n, ll, ceilf, roundf);
        for (long i = 1; i < 2 * n + 2; i++)
        {
            var k1 = j1;
            (v0, v1) = (v1, v0);
            (v0s, v1s) = (v1s, v0s);
            Array.Clear(v1);
            (j1, j2) = PomeranzJ1J2(i, n, ll, ceilf, roundf);
            var pwrs = i == 1 || i == 2 * n + 1 ? gpower : i % 2 == 1 ? twogpower : onem2gpower;
            var ln2 = j2 - k1 + 1;
            if (ln2 > 0)
            {
                // np.convolve(V0[k1 - V0s : k1 - V0s + ln2], pwrs[:ln2]), of which entries conv_start.. are kept.
                var start = k1 - v0s;
                var available = Math.Max(0, Math.Min(ln2, npwrs - start));
                var powers = Math.Min(ln2, npwrs);
                var convStart = j1 - k1;
                var convLength = j2 - j1 + 1;
                var max = 0.0;
                for (long c = 0; c < convLength; c++)
                {
                    var index = convStart + c;
                    var sum = 0.0;
                    for (var a = Math.Max(0, index - (powers - 1)); a <= Math.Min(index, available - 1); a++)
                    {
                        sum += v0[start + a] * pwrs[index - a];
                    }
                    v1[c] = sum;
                    max = Math.Max(max, sum);
                }
                if (max > 0 && max < Em128)
                {
                    for (var c = 0; c < v1.Length; c++)
                    {
                        v1[c] *= Ep128;
                    }
                    exponent -= E128;
                }
                v1s = v0s + j1 - k1;
            }
        }
        var answer = v1[n - v1s];
        for (long m = 1; m <= n; m++)
        {
            if (Math.Abs(answer) > Ep128)
            {
                answer *= Em128;
                exponent += E128;
            }
            answer *= m;
        }
        if (exponent != 0)
        {
            answer = Math.ScaleB(answer, exponent);
        }
        return Clip(answer);
    }

    // _kolmogn_PelzGood: the Li-Chien/Korolyuk expansion in powers of 1/sqrt(n), in theta-function form for small z.
    private static double PelzGood(long n, double x)
    {
        if (x <= 0.0)
        {
            return 0.0;
        }
        if (x >= 1.0)
        {
            return 1.0;
        }
        var z = Math.Sqrt(n) * x;
        double zSquared = z * z, zThree = z * z * z, zFour = zSquared * zSquared, zSix = zFour * zSquared;
        var qlog = -PiSquared / 8 / zSquared;
        if (qlog < MinLog)
        {
            return 0.0;
        }
        var q = Math.Exp(qlog);
        var k1a = -zSquared;
        var k1b = PiSquared / 4;
        var k2a = 6 * zSix + 2 * zFour;
        var k2b = (2 * zFour - 5 * zSquared) * PiSquared / 4;
        var k2c = PiFour * (1 - 2 * zSquared) / 16;
        var k3d = PiSix * (5 - 30 * zSquared) / 64;
        var k3c = PiFour * (-60 * zSquared + 212 * zFour) / 16;
        var k3b = PiSquared * (135 * zFour - 96 * zSix) / 4;
        var k3a = -30 * zSix - 90 * Math.Pow(z, 8);
        var terms = new double[4];
        var maxk = (int)Math.Ceiling(16 * z / Math.PI);
        for (var k = maxk; k > 0; k--)
        {
            double m = 2 * k - 1;
            double mSquared = m * m, mFour = mSquared * mSquared, mSix = mFour * mSquared;
            var qpower = Math.Pow(q, 8 * k);
            terms[0] = terms[0] * qpower + 1.0;
            terms[1] = terms[1] * qpower + k1a + k1b * mSquared;
            terms[2] = terms[2] * qpower + k2a + k2b * mSquared + k2c * mFour;
            terms[3] = terms[3] * qpower + k3a + k3b * mSquared + k3c * mFour + k3d * mSix;
        }
        double[] divisors = [z, 6 * zFour, 72 * Math.Pow(z, 7), 6480 * Math.Pow(z, 10)];
        for (var i = 0; i < 4; i++)
        {
            terms[i] = terms[i] * q * Sqrt2Pi / divisors[i];
        }
        q = Math.Exp(-PiSquared / 2 / zSquared);
        var sqrt3z = Sqrt3 * z;
        double k2extra = 0, k3extra = 0;
        for (var k = maxk; k > 0; k--)
        {
            double kSquared = (double)k * k;
            var qpower = Math.Pow(q, kSquared);
            var kspi = Math.PI * k;
            k2extra += kSquared * qpower;
            k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * kSquared * qpower;
        }
        terms[2] += k2extra * (PiSquared * Sqrt2Pi / (-36 * zThree));
        terms[3] += k3extra * (PiSquared * Sqrt2Pi / (216 * zSix));
        var sum = 0.0;
        for (var i = 0; i < 4; i++)
        {
            sum += terms[i] / Math.Pow(n, i / 2.0);
        }
        return sum;
    }

    /// <summary>
    /// scipy.special.smirnov(n, x): Pr(D+_n &gt;= x), by the Smirnov-Birnbaum-Tingey sum
    /// x Σ_j C(n, j) (1 - x - j/n)^(n-j) (x + j/n)^(j-1), each term in logarithms.
    /// </summary>
    private static double Smirnov(long n, double x)
    {
        if (x <= 0)
        {
            return 1.0;
        }
        if (x >= 1)
        {
            return 0.0;
        }
        var last = (long)Math.Floor(n * (1 - x));
        var logGammaN1 = MathNet.Numerics.SpecialFunctions.GammaLn(n + 1);
        var sum = 0.0;
        for (long j = 0; j <= last; j++)
        {
            var a = 1 - x - (double)j / n;
            var b = x + (double)j / n;
            if (a <= 0 && n - j > 0)
            {
                continue;
            }
            var logTerm = logGammaN1 - MathNet.Numerics.SpecialFunctions.GammaLn(j + 1) - MathNet.Numerics.SpecialFunctions.GammaLn(n - j + 1)
                + (n - j == 0 ? 0 : (n - j) * Math.Log(a)) + (j - 1) * Math.Log(b);
            sum += Math.Exp(logTerm);
        }
        return Math.Clamp(x * sum, 0.0, 1.0);
    }
}
