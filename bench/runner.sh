#!/usr/bin/env bash
# Notebook runner benchmark: a 5-cell C# notebook (arithmetic, a class, display, a loop, a string) end to end as a
# whole process, and the cost of a #r nuget with a warm cache. Reference measured in the same run: Jupyter's
# nbconvert --execute with the Python kernel on the same five cells in Python (Debian's jupyter-nbconvert).
# The mlops tool is measured as shipped (dotnet publish with ReadyToRun) and as a plain build (JIT).
# Usage: bench/runner.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
[ -x /usr/bin/jupyter-nbconvert ] || { apt-get update -qq && apt-get install -y -qq jupyter-nbconvert python3-nbclient python3-ipykernel >/dev/null; }

out=$(mktemp -d /tmp/mlops-runner-bench-XXXXXX)
trap 'rm -rf "$out"' EXIT
dotnet build actions/Mlops.Cli/Mlops.Cli.csproj -c Release -nologo -v quiet >/dev/null
dotnet publish actions/Mlops.Cli/Mlops.Cli.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/r2r" -nologo -v quiet >/dev/null
r2r="dotnet $out/r2r/mlops.dll"
jit="dotnet actions/Mlops.Cli/bin/Release/net10.0/mlops.dll"
export MLOPS_TRACKING_URI="$out/mlops.db" MLOPS_NUGET_CACHE="$out/nuget"
$r2r notebook run bench/notebooks/one-cell-nuget.ipynb -o "$out/warm.ipynb" >/dev/null   # warm the package cache

hyperfine --warmup 1 --runs "$runs" --export-json "$out/times.json" \
  -n "mlops notebook run, 5 cells (ReadyToRun)" "$r2r notebook run tests/notebooks/basics.ipynb -o $out/a.ipynb" \
  -n "mlops notebook run, 5 cells (JIT build)" "$jit notebook run tests/notebooks/basics.ipynb -o $out/b.ipynb" \
  -n "mlops notebook run, 1 cell" "$r2r notebook run bench/notebooks/one-cell.ipynb -o $out/c.ipynb" \
  -n "mlops notebook run, 1 cell with #r nuget (warm cache)" "$r2r notebook run bench/notebooks/one-cell-nuget.ipynb -o $out/d.ipynb" \
  -n "jupyter nbconvert --execute, 5 Python cells" "/usr/bin/jupyter-nbconvert --to notebook --execute bench/notebooks/five-cells-python.ipynb --output $out/e.ipynb" \
  >/dev/null 2>&1

/usr/bin/python3 - "$out/times.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
mean = {r["command"]: r["mean"] for r in results}
ref = mean["jupyter nbconvert --execute, 5 Python cells"]
print("| command | mean s | vs Jupyter (Python kernel) | target |")
print("| --- | ---: | ---: | ---: |")
for r in results:
    target = "2.0" if "5 cells" in r["command"] else ""
    print(f"| {r['command']} | {r['mean']:.3f} | {r['mean'] / ref:.2f} | {target} |")
nuget = mean["mlops notebook run, 1 cell with #r nuget (warm cache)"] - mean["mlops notebook run, 1 cell"]
print(f"\n#r nuget with a warm cache adds {nuget:.3f} s (one cell with it vs the same cell without).")
PY
