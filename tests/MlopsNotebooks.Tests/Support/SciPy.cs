using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// Debian's SciPy (under /usr/bin/python3) as the reference for the drift statistics: one python process per test class
/// (an xunit class fixture), fed one JSON request a line, arrays passed as raw little-endian float64 files. A missing
/// SciPy fails the test (test.sh installs python3-scipy).
/// </summary>
public sealed class SciPy : IDisposable
{
    // Evidently 0.4's get_binned_data, jensenshannon, psi and wasserstein (normed) on NumPy and SciPy, for the per-column checks.
    private const string Server = """
        import json, sys
        import numpy as np
        from scipy import stats
        from scipy.spatial import distance

        def binned(ref, cur, floor):
            if len(np.unique(ref)) > 20:
                bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
                r = np.histogram(ref, bins)[0] / len(ref)
                c = np.histogram(cur, bins)[0] / len(cur)
            else:
                keys = np.union1d(ref, cur)
                r = np.array([np.sum(ref == k) / len(ref) for k in keys])
                c = np.array([np.sum(cur == k) / len(cur) for k in keys])
            if floor:
                for a in (r, c):
                    m = min(a[a != 0])
                    np.place(a, a == 0, m / 10**6 if m <= 0.0001 else 0.0001)
            return r, c

        def answer(request):
            a = [np.fromfile(p, dtype="<f8") for p in request["arrays"]]
            f = request["function"]
            if f == "ks_2samp":
                r = stats.ks_2samp(a[0], a[1])
                return [r.statistic, r.pvalue]
            if f == "kstwo.sf":
                return [stats.kstwo.sf(request["x"], request["n"])]
            if f == "wasserstein_distance":
                return [stats.wasserstein_distance(a[0], a[1])]
            if f == "chisquare":
                r = stats.chisquare(a[0], a[1])
                return [r.statistic, r.pvalue]
            if f == "jensenshannon":
                return [distance.jensenshannon(a[0], a[1])]
            if f == "std":
                return [np.std(a[0])]
            if f == "histogram_bin_edges":
                return np.histogram_bin_edges(np.concatenate([a[0], a[1]]), bins="sturges").tolist()
            if f == "histogram":
                return np.histogram(a[0], a[1])[0].tolist()
            if f == "evidently.jensenshannon":
                r, c = binned(a[0], a[1], False)
                return [distance.jensenshannon(r, c)]
            if f == "evidently.psi":
                r, c = binned(a[0], a[1], True)
                return [np.sum((r - c) * np.log(r / c))]
            if f == "evidently.wasserstein":
                return [stats.wasserstein_distance(a[0], a[1]) / max(float(np.std(a[0])), 0.001)]
            raise ValueError(f)

        def named(v):  # System.Text.Json reads non-finite numbers as these strings
            v = float(v)
            return v if np.isfinite(v) else "NaN" if np.isnan(v) else "Infinity" if v > 0 else "-Infinity"

        for line in sys.stdin:
            print(json.dumps([named(v) for v in answer(json.loads(line))]), flush=True)
        """;

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private readonly Process _python;
    private readonly TempDirectory _files = new();
    private int _next;

    public SciPy()
    {
        var script = _files.File("scipy_server.py");
        File.WriteAllText(script, Server);
        var info = new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList = { "-u", script },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            _python = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"/usr/bin/python3 is missing ({e.Message}); run ./test.sh, which installs python3-scipy.");
        }
    }

    /// <summary>Calls one function on the arrays; returns what it returned, as doubles.</summary>
    public double[] Call(string function, IEnumerable<double[]> arrays, object? extra = null)
    {
        var paths = arrays.Select(array =>
        {
            var path = _files.File($"array{Interlocked.Increment(ref _next)}.f8");
            File.WriteAllBytes(path, System.Runtime.InteropServices.MemoryMarshal.AsBytes(array.AsSpan()).ToArray());
            return path;
        }).ToList();
        var request = new Dictionary<string, object?> { ["function"] = function, ["arrays"] = paths };
        foreach (var property in extra?.GetType().GetProperties() ?? [])
        {
            request[property.Name] = property.GetValue(extra);
        }
        lock (_python)
        {
            _python.StandardInput.WriteLine(JsonSerializer.Serialize(request));
            _python.StandardInput.Flush();
            var line = _python.StandardOutput.ReadLine()
                ?? throw new Xunit.Sdk.XunitException($"SciPy under /usr/bin/python3 did not answer {function}: {_python.StandardError.ReadToEnd()} (run ./test.sh, which installs python3-scipy).");
            return JsonSerializer.Deserialize<double[]>(line, Json)!;
        }
    }

    public double[] Call(string function, params double[][] arrays) => Call(function, arrays, null);

    public void Dispose()
    {
        try
        {
            _python.StandardInput.Close();
            _python.WaitForExit(5000);
        }
        finally
        {
            _python.Dispose();
            _files.Dispose();
        }
    }
}
