#!/usr/bin/env bash
# Drift benchmark (issue 14): 1,000,000 current rows × 50 columns (40 numerical, 10 categorical) against a 100,000-row
# reference, every statistic on every column it fits (numerical: ks, wasserstein, jensenshannon, psi; categorical:
# chisquare, jensenshannon, psi), exact mode on both cores; and SciPy's computation of the same statistics on the same
# data (raw float64 files that both sides read, written once), measured in the same run. Prints seconds for each, the
# ratio, peak memory, and the largest difference between the two sides' figures (a difference above 1e-9 exits 1).
# Usage: bench/drift.sh [mode] [current rows] [reference rows]   mode: exact (profile comes later)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-exact}
current=${2:-1000000}
reference=${3:-100000}
[ "$mode" = exact ] || { echo "bench/drift.sh: unknown mode $mode (exact)." >&2; exit 2; }
/usr/bin/python3 -c 'import scipy' 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-scipy >/dev/null; }

out=$(mktemp -d /tmp/mlops-drift-bench-XXXXXX)
trap 'rm -rf "$out"' EXIT
dotnet build bench/DriftBench/DriftBench.csproj -c Release -nologo -v quiet > "$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
bench() { dotnet bench/DriftBench/bin/Release/net10.0/DriftBench.dll "$@"; }
bench generate "$out/data" "$reference" "$current" 40 10
bench "$mode" "$out/data" "$out/ours.json" > "$out/ours-run.json"
/usr/bin/python3 bench/drift/scipy_drift.py "$out/data" "$out/theirs.json" > "$out/theirs-run.json"
echo "drift, $mode mode: $current current rows × 50 columns against $reference reference rows"
/usr/bin/python3 bench/drift/table.py "$out/ours.json" "$out/theirs.json" "$out/ours-run.json" "$out/theirs-run.json"
