#!/usr/bin/env bash
# How the notebook runner's cost grows with the notebook: notebooks of 100, 250, 500 and 1,000 small code cells (each
# reads the previous cell's variable and shows a value), run end to end as a whole process; wall time and peak memory
# (maximum resident set size, from /usr/bin/time) per size. Reference measured in the same run: Jupyter's
# nbconvert --execute with the Python kernel on the same cells in Python (Debian's jupyter-nbconvert; its peak is the
# largest of its processes, the kernel's included). Expected: both grow linearly; 1,000 cells stay under 1 GB.
# Usage: bench/runner-scaling.sh [sizes...]   (MLOPS="dotnet path/to/mlops.dll" measures another build)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 250 500 1000)
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
[ -x /usr/bin/jupyter-nbconvert ] || { apt-get update -qq && apt-get install -y -qq jupyter-nbconvert python3-nbclient python3-ipykernel >/dev/null; }

out=$(mktemp -d /tmp/mlops-runner-scaling-XXXXXX)
trap 'rm -rf "$out"' EXIT
if [ -z "${MLOPS:-}" ]; then
  dotnet publish actions/Mlops.Cli/Mlops.Cli.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/r2r" -nologo -v quiet >/dev/null
  MLOPS="dotnet $out/r2r/mlops.dll"
fi
export MLOPS_TRACKING_URI="$out/mlops.db" PYDEVD_DISABLE_FILE_VALIDATION=1

# A notebook of n code cells in C# or Python: x0 = 0, x1 = x0 + 1, ..., each ending in its value.
generate() {
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import json, sys
n, language, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cells = []
for i in range(n):
    if language == "csharp":
        source = f"var x{i} = {'0' if i == 0 else f'x{i - 1} + 1'};\nx{i}"
    else:
        source = f"x{i} = {'0' if i == 0 else f'x{i - 1} + 1'}\nx{i}"
    cells.append({"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": source, "outputs": [], "execution_count": None})
kernel = ({"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"} if language == "csharp"
          else {"display_name": "Python 3", "language": "python", "name": "python3"})
json.dump({"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}, open(path, "w"))
PY
}

# Prints "seconds kilobytes" for one command; its own output goes to a log, shown if it fails.
measure() {
  if ! /usr/bin/time -f "%e %M" -o "$out/time" "$@" >"$out/log" 2>&1; then
    cat "$out/log" >&2
    exit 1
  fi
  cat "$out/time"
}

echo "| cells | mlops s | mlops MB | Jupyter s | Jupyter MB | time vs Jupyter | memory vs Jupyter | mlops ms per cell |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for n in "${sizes[@]}"; do
  generate "$n" csharp "$out/cs$n.ipynb"
  generate "$n" python "$out/py$n.ipynb"
  read -r ms mk < <(measure $MLOPS notebook run "$out/cs$n.ipynb" -o "$out/cs$n-out.ipynb")
  read -r js jk < <(measure /usr/bin/jupyter-nbconvert --to notebook --execute "$out/py$n.ipynb" --output "$out/py$n-out.ipynb")
  awk -v n="$n" -v ms="$ms" -v mk="$mk" -v js="$js" -v jk="$jk" 'BEGIN {
    printf "| %d | %.2f | %.0f | %.2f | %.0f | %.2f | %.2f | %.1f |\n", n, ms, mk / 1024, js, jk / 1024, ms / js, mk / jk, 1000 * ms / n
  }'
done
