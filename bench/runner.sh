#!/usr/bin/env bash
# Notebook runner benchmark: a 5-cell C# notebook (arithmetic, a class, display, a loop, a string) end to end as a
# whole process, and the cost of a #r nuget with a warm cache. References measured in the same run, with Jupyter's
# nbconvert --execute (Debian's): the real .NET Interactive kernel (its last release) on the same five C# cells, the
# reference the runner replaces (target: at least 3x faster, a ratio of 0.33 or less); and the Python kernel on the
# same five cells in Python (target 2.0). Also a cell that prints 50,000 lines, against the same cell in Python.
# The mlops tool is measured as shipped (dotnet publish with ReadyToRun) and as a plain build (JIT).
# Usage: bench/runner.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
tests/tools/install-kernel.sh   # Jupyter and the .NET Interactive kernel

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
  -n "mlops notebook run, 1 cell printing 50,000 lines" "$r2r notebook run bench/notebooks/print-lines.ipynb -o $out/g.ipynb" \
  -n "jupyter nbconvert --execute, 1 Python cell printing 50,000 lines" "/usr/bin/jupyter-nbconvert --to notebook --execute bench/notebooks/print-lines-python.ipynb --output $out/h.ipynb" \
  -n "jupyter nbconvert --execute, 5 C# cells (.NET Interactive kernel)" "JUPYTER_PATH=tests/tools/jupyter /usr/bin/jupyter-nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=.net-csharp tests/notebooks/basics.ipynb --output $out/f.ipynb" \
  >/dev/null 2>&1

/usr/bin/python3 - "$out/times.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
mean = {r["command"]: r["mean"] for r in results}
ref = mean["jupyter nbconvert --execute, 5 Python cells"]
kernel = mean["jupyter nbconvert --execute, 5 C# cells (.NET Interactive kernel)"]
print("| command | mean s | vs .NET Interactive kernel | target | vs Python kernel | target |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for r in results:
    five = "5 cells" in r["command"]
    print(f"| {r['command']} | {r['mean']:.3f} | {r['mean'] / kernel:.2f} | {'0.33' if five else ''} | {r['mean'] / ref:.2f} | {'2.0' if five else ''} |")
printing = mean["mlops notebook run, 1 cell printing 50,000 lines"] / mean["jupyter nbconvert --execute, 1 Python cell printing 50,000 lines"]
print(f"\nA cell printing 50,000 lines: {printing:.2f} of the Python kernel's time (output kept in the order written, linear in its size).")
nuget = mean["mlops notebook run, 1 cell with #r nuget (warm cache)"] - mean["mlops notebook run, 1 cell"]
print(f"\n#r nuget with a warm cache adds {nuget:.3f} s (one cell with it vs the same cell without).")
PY
