"""SciPy's side of bench/drift.sh: the same statistics on the same raw float64 files, computed as Evidently 0.4 computes
them (scipy.stats.ks_2samp, wasserstein_distance normed by np.std, chisquare, scipy.spatial.distance.jensenshannon, PSI
over get_binned_data's Sturges bins or value shares). Reading the files is not timed.
Usage: scipy_drift.py FOLDER RESULTS_JSON   prints {"rows": current rows, "seconds": s, "peakMegabytes": m}"""
import json
import resource
import sys
import time

import numpy as np
from scipy import stats
from scipy.spatial import distance

folder, out = sys.argv[1], sys.argv[2]
kinds = json.load(open(f"{folder}/columns.json"))
data = [(np.fromfile(f"{folder}/ref-{c}.f8", dtype="<f8"), np.fromfile(f"{folder}/cur-{c}.f8", dtype="<f8")) for c in range(len(kinds))]


def counts(ref, cur):
    """Each sample's count of every value of either, in one order."""
    keys = np.union1d(ref, cur)
    result = []
    for sample in (ref, cur):
        sample_keys, sample_counts = np.unique(sample, return_counts=True)
        aligned = np.zeros(len(keys))
        aligned[np.searchsorted(keys, sample_keys)] = sample_counts
        result.append(aligned)
    return result


def binned(ref, cur, numerical, floor):
    if numerical and len(np.unique(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        r = np.histogram(ref, bins)[0] / len(ref)
        c = np.histogram(cur, bins)[0] / len(cur)
    else:
        r, c = counts(ref, cur)
        r, c = r / len(ref), c / len(cur)
    if floor:
        for a in (r, c):
            m = min(a[a != 0])
            np.place(a, a == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return r, c


figures = {}
start = time.perf_counter()
for c, (ref, cur) in enumerate(data):
    if kinds[c] == "numerical":
        ks = stats.ks_2samp(ref, cur)
        figures[f"{c}/ks/statistic"], figures[f"{c}/ks/p"] = ks.statistic, ks.pvalue
        figures[f"{c}/wasserstein/statistic"] = stats.wasserstein_distance(ref, cur) / max(float(np.std(ref)), 0.001)
    else:
        r, k = counts(ref, cur)
        chi = stats.chisquare(k, r * (len(cur) / len(ref)))
        figures[f"{c}/chisquare/statistic"], figures[f"{c}/chisquare/p"] = chi.statistic, chi.pvalue
    numerical = kinds[c] == "numerical"
    r, k = binned(ref, cur, numerical, False)
    figures[f"{c}/jensenshannon/statistic"] = distance.jensenshannon(r, k)
    r, k = binned(ref, cur, numerical, True)
    figures[f"{c}/psi/statistic"] = np.sum((r - k) * np.log(r / k))
seconds = time.perf_counter() - start

json.dump({key: float(value) for key, value in figures.items()}, open(out, "w"))
print(json.dumps({"rows": len(data[0][1]), "seconds": seconds, "peakMegabytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3}))
