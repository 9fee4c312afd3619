"""Prints bench/drift.sh's table and checks that the two sides agree. Usage: table.py OURS.json THEIRS.json OURS_RUN.json THEIRS_RUN.json"""
import json
import sys

ours, theirs, ours_run, theirs_run = (json.load(open(p)) for p in sys.argv[1:5])
missing = sorted(set(theirs) ^ set(ours))
if missing:
    sys.exit(f"The two sides computed different figures: {missing[:5]}")
# p-values and distances are compared absolutely; chi-squared statistics (thousands) relative to their size.
worst = {}
for key, value in theirs.items():
    kind = "chi-squared statistic (relative)" if key.endswith("chisquare/statistic") else "p-values" if key.endswith("/p") else "statistics and distances"
    difference = abs(ours[key] - value) / (max(1.0, abs(value)) if "relative" in kind else 1.0)
    worst[kind] = max(worst.get(kind, 0.0), difference)
ratio = theirs_run["seconds"] / ours_run["seconds"]
print(f"{'':38}{'MlopsNotebooks':>16}{'SciPy':>12}")
print(f"{'seconds (target: at most 2)':38}{ours_run['seconds']:>16.3f}{theirs_run['seconds']:>12.3f}")
print(f"{'ratio (SciPy / ours)':38}{ratio:>16.1f}")
print(f"{'peak memory, process (MB)':38}{ours_run['processPeakMegabytes']:>16.0f}{theirs_run['peakMegabytes']:>12.0f}")
print(f"{'GC heap peak / allocated in run (MB)':38}{ours_run['gcHeapPeakMegabytes']:>7.0f} / {ours_run['gcAllocatedMegabytes']:<6.0f}")
print(f"{'cores used':38}{ours_run['cores']:>16}{1:>12}")
print(f"figures compared: {len(theirs)}")
for kind, difference in sorted(worst.items()):
    print(f"max difference, {kind}: {difference:.3g}")
if max(worst.values()) > 1e-9:
    sys.exit("The two sides disagree by more than 1e-9.")
