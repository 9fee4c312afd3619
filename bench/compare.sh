#!/usr/bin/env bash
# Before and after: the same benchmarks on another commit (default: HEAD~1) and on the work tree, in one
# run, each measured in both orders, as ratios (after / before; under 1.00 is faster). For a change that should not make
# anything slower, such as a redesign. Usage: bench/compare.sh [base-commit] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-HEAD~1}
runs=${2:-5}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }

work=$(mktemp -d /tmp/mlops-compare-XXXXXX)
cleanup() { git worktree remove --force "$work/before-src" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
git worktree add -q --detach "$work/before-src" "$base"

build() { # $1 source folder, $2 output folder
  dotnet publish "$1/actions/Mlops.Cli/Mlops.Cli.csproj" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$2/tool" -nologo -v quiet >/dev/null
  dotnet build "$1/bench/TrackingBench/TrackingBench.csproj" -c Release -o "$2/bench" -nologo -v quiet >/dev/null
}
echo "building $(git rev-parse --short "$base") (before) and the work tree (after) ..."
build "$work/before-src" "$work/before"
build "$PWD" "$work/after"
before="dotnet $work/before/tool/mlops.dll"
after="dotnet $work/after/tool/mlops.dll"

# A repository with a 256 MiB file and 20,000 small files, and a store of 10 notebook runs, the same for both.
repo="$work/repo"
git init -q "$repo"
(
  cd "$repo"
  git config user.email bench@example.com && git config user.name bench
  head -c 268435456 /dev/urandom > big.bin
  for d in $(seq -w 0 19); do mkdir -p "many/$d"; for f in $(seq -w 0 999); do printf 'row %s-%s\n' "$d" "$f" > "many/$d/$f.txt"; done; done
  $after data add many >/dev/null
)
export MLOPS_TRACKING_URI="$work/runs.db" MLOPS_NUGET_CACHE="$work/nuget"
for i in $(seq 10 19); do
  $after notebook run tests/notebooks/metrics.ipynb -p "auc=0.$i" -o "$work/seed.ipynb" >/dev/null
done

compare() { # $1 name, $2 command template with {tool}, $3 prepare (optional)
  local prepare=${3:-:}
  # hyperfine runs one command's runs, then the other's: run both orders, so that drift in the machine's speed
  # (a neighbour, the page cache, turbo) weighs on both alike, and take the mean of both.
  hyperfine --warmup 1 --runs "$runs" --prepare "$prepare" --export-json "$work/t1.json" \
    -n before "${2//\{tool\}/$before}" -n after "${2//\{tool\}/$after}" >/dev/null 2>&1
  hyperfine --warmup 1 --runs "$runs" --prepare "$prepare" --export-json "$work/t2.json" \
    -n after "${2//\{tool\}/$after}" -n before "${2//\{tool\}/$before}" >/dev/null 2>&1
  python3 - "$1" "$work/t1.json" "$work/t2.json" <<'PY'
import json, sys
times = {"before": [], "after": []}
for path in sys.argv[2:]:
    for x in json.load(open(path))["results"]:
        times[x["command"]] += x["times"]
b, a = (sum(times[k]) / len(times[k]) for k in ("before", "after"))
print(f"| {sys.argv[1]} | {b:.3f} | {a:.3f} | {a / b:.2f} |")
PY
}

echo
echo "| benchmark (mean of 2 x $runs, seconds) | before | after | after / before |"
echo "| --- | ---: | ---: | ---: |"
compare "mlops --help (start-up)" "{tool} --help"
compare "mlops runs list (10 runs)" "{tool} runs list -e validate"
compare "mlops notebook run, 5 cells" "{tool} notebook run tests/notebooks/basics.ipynb -o $work/out.ipynb"
compare "mlops data status, 20,000 unchanged files" "cd $repo && {tool} data status many"
# Each add starts from nothing (no cache, no state), so both hash the whole file.
compare "mlops data add, 256 MiB file, copy" "cd $repo && {tool} data add big.bin --link copy" \
  "cd $repo && rm -rf .mlops big.bin.mlops .gitignore && chmod u+w big.bin"

echo
echo "tracking throughput (TrackingBench, 1,000,000 points, median of 3), before then after:"
dotnet "$work/before/bench/TrackingBench.dll" 1000000 3 | grep '^|'
dotnet "$work/after/bench/TrackingBench.dll" 1000000 3 | grep '^|'
