#!/usr/bin/env bash
# Drift benchmark (issue 14): current rows × 50 columns (40 numerical, 10 categorical) against a 100,000-row reference,
# every statistic on every column it fits (numerical: ks, wasserstein, jensenshannon, psi; categorical: chisquare,
# jensenshannon, psi), and SciPy's exact computation of the same statistics on the same data (raw float64 files that
# both sides read, written once), measured in the same run.
#   exact:   1,000,000 rows on both cores against SciPy; the largest difference between the two sides' figures (above
#            1e-9 exits 1).
#   profile: 10,000,000 rows generated on the fly, streamed in batches into the reference's profile (never all in
#            memory), and the same stream cut at 1,000,000 rows to show the memory does not grow with the rows; SciPy on
#            the first 1,000,000 rows (on all of them with --scipy-all: 4 GB of files and as much in numpy), every
#            profile figure checked against SciPy's within the error bound it states (outside exits 1).
# Prints seconds for each side, the ratio, and peak memory.
# Usage: bench/drift.sh [exact|profile|both] [current rows] [reference rows] [--scipy-all]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
all=no
positional=()
for argument in "$@"; do
    case $argument in
        --scipy-all) all=yes ;;
        -*) echo "bench/drift.sh: unknown option $argument (--scipy-all)." >&2; exit 2 ;;
        *) positional+=("$argument") ;;
    esac
done
mode=${positional[0]:-both}
for rows in "${positional[@]:1}"; do
    [[ $rows =~ ^[1-9][0-9]{0,8}$ ]] || { echo "bench/drift.sh: $rows is not a number of rows (1 to 999999999)." >&2; exit 2; }
done
reference=${positional[2]:-100000}
case $mode in
    exact) exact=${positional[1]:-1000000}; streamed=0; scipy=$exact ;;
    profile) streamed=${positional[1]:-10000000}; scipy=$((streamed < 1000000 ? streamed : 1000000)) ;;
    both) [ -z "${positional[1]:-}" ] || { echo "bench/drift.sh: both modes run at their default sizes; name a mode to choose the rows." >&2; exit 2; }
          exact=1000000; streamed=10000000; scipy=1000000 ;;
    *) echo "bench/drift.sh: unknown mode $mode (exact, profile or both)." >&2; exit 2 ;;
esac
if [ $all = yes ]; then
    [ "$mode" = profile ] || { echo "bench/drift.sh: --scipy-all is for profile mode (bench/drift.sh profile --scipy-all)." >&2; exit 2; }
    scipy=$streamed
fi
/usr/bin/python3 -c 'import scipy' 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-scipy >/dev/null; }

out=$(mktemp -d /tmp/mlops-drift-bench-XXXXXX)
trap 'rm -rf "$out"' EXIT
dotnet build bench/DriftBench/DriftBench.csproj -c Release -nologo -v quiet > "$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
bench() { dotnet bench/DriftBench/bin/Release/net10.0/DriftBench.dll "$@"; }
bench generate "$out/data" "$reference" "$scipy" 40 10
/usr/bin/python3 bench/drift/scipy_drift.py "$out/data" "$out/theirs.json" > "$out/theirs-run.json"
if [ "$mode" != profile ]; then
    bench exact "$out/data" "$out/exact.json" > "$out/exact-run.json"
    echo "drift, exact mode: $exact current rows × 50 columns against $reference reference rows"
    /usr/bin/python3 bench/drift/table.py "$out/exact.json" "$out/theirs.json" "$out/exact-run.json" "$out/theirs-run.json"
fi
if [ "$mode" != exact ]; then
    [ "$mode" = profile ] || echo
    bench reference "$out/data"
    runs=()
    for rows in $(printf '%s\n' $((streamed < 1000000 ? streamed : 1000000)) "$streamed" "$scipy" | sort -nu); do
        bench profile "$out/data" "$out/profile-$rows.json" "$rows" > "$out/profile-$rows-run.json"
        runs+=("$out/profile-$rows-run.json")
    done
    echo "drift, profile mode: up to $streamed current rows × 50 columns streamed in batches of 65,536 against the profile of $reference reference rows"
    /usr/bin/python3 bench/drift/profile_table.py "$out/profile-$scipy.json" "$out/theirs.json" "$out/theirs-run.json" "${runs[@]}"
fi
