"""Prints bench/drift.sh's profile-mode table and checks every profile figure against SciPy's exact one: within the
error bound the figure states (a KS p-value within the p-values of its D's bounds; counted figures within 1e-9).
Usage: profile_table.py OURS.json THEIRS.json THEIRS_RUN.json RUN.json...   OURS.json: the run on SciPy's rows"""
import json
import sys

ours, theirs, theirs_run, *runs = (json.load(open(p)) for p in sys.argv[1:])
missing = sorted(k for k in theirs if k not in ours)
if missing:
    sys.exit(f"The two sides computed different figures: {missing[:5]}")
compared = next(r for r in runs if r["rows"] == theirs_run["rows"])
worst = {}
outside = []
for key, value in theirs.items():
    test = key.split("/")[1]
    if key.endswith("/p"):
        low, high = ours[key + "/low"], ours[key + "/high"]
        difference, bound = abs(ours[key] - value), max(high - ours[key], ours[key] - low)
        inside = low - 1e-9 <= value <= high + 1e-9
    else:
        scale = max(1.0, abs(value)) if test == "chisquare" else 1.0
        difference, bound = abs(ours[key] - value) / scale, ours[key + "/bound"] / scale
        inside = difference <= bound + 1e-9
    if not inside:
        outside.append(f"{key}: ours {ours[key]!r}, SciPy {value!r}, bound {bound!r}")
    kind = f"{test} {'p-value' if key.endswith('/p') else 'statistic'}"
    w = worst.setdefault(kind, [0.0, 0.0, 0])
    w[0], w[1], w[2] = max(w[0], difference), max(w[1], bound), w[2] + 1

rows = lambda r: f"{r['rows'] / 1e6:g}M rows"
print(f"{'':40}" + "".join(f"{'ours, ' + rows(r):>18}" for r in runs) + f"{'SciPy, ' + rows(theirs_run):>18}")


def line(label, key, fmt, scipy=None):
    values = [key(r) if callable(key) else r[key] for r in runs]
    print(f"{label:40}" + "".join(f"{v:>18{fmt}}" for v in values) + (f"{scipy:>18{fmt}}" if scipy is not None else ""))


line("seconds (adding + comparing)", "seconds", ".3f", theirs_run["seconds"])
line("  of which comparing", "comparingSeconds", ".3f")
line("  generating the rows (not timed)", "generatingSeconds", ".3f")
line("rows/s", "rowsPerSecond", ",.0f", theirs_run["rows"] / theirs_run["seconds"])
line("peak memory, process (MB)", "processPeakMegabytes", ".0f", theirs_run["peakMegabytes"])
line("GC heap peak / allocated (MB)", lambda r: f"{r['gcHeapPeakMegabytes']:.0f} / {r['gcAllocatedMegabytes']:.0f}", "")
line("cores", "cores", "", 1)
print(f"ratio (SciPy / ours) on the same {rows(theirs_run)}: {theirs_run['seconds'] / compared['seconds']:.1f}")
print(f"figures compared with SciPy's exact ones: {len(theirs)}")
print(f"{'':28}{'count':>6}{'max difference':>16}{'max bound':>12}")
for kind, (difference, bound, count) in sorted(worst.items()):
    print(f"{kind:28}{count:>6}{difference:>16.3g}{bound:>12.3g}")
if outside:
    sys.exit("Profile figures outside their stated bound:\n" + "\n".join(outside[:10]))
print("every profile figure is within its stated bound of SciPy's")
