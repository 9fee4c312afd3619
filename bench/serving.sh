#!/usr/bin/env bash
# Model server benchmark: single-row predictions per second and latency with wrk (keep-alive, 2 threads, 32
# connections) against `mlops serve` of the churn FastTree model, as a process on this machine. References measured in
# the same run, the same way: a FastAPI + uvicorn server (one worker) of a scikit-learn gradient-boosting model trained
# on the same data (Debian's python3-fastapi, python3-uvicorn, python3-sklearn), and the same server's
# /v2/health/live, which answers without the model (its ceiling). Targets (issue 13): 20,000 predictions/s and 10x
# FastAPI. The container, p99 at half the peak rate and batch throughput come with the container.
# Usage: bench/serving.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
command -v wrk >/dev/null && /usr/bin/python3 -c 'import fastapi, uvicorn, sklearn, pandas' 2>/dev/null || {
  apt-get update -qq && apt-get install -y -qq wrk python3-fastapi python3-uvicorn python3-sklearn python3-pandas >/dev/null; }

out=$(mktemp -d /tmp/mlops-serving-bench-XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$out"' EXIT
dotnet publish actions/Mlops.Cli/Mlops.Cli.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/r2r" -nologo -v quiet >/dev/null
mlops() { dotnet "$out/r2r/mlops.dll" "$@"; }

# The churn model as the demo makes it: the sample notebook in a scratch repository, its candidate exported.
mkdir -p "$out/repo" && cp -r notebooks "$out/repo/" && git -C "$out/repo" init -q && git -C "$out/repo" add -A \
  && git -C "$out/repo" -c user.email=bench@localhost -c user.name=bench commit -qm bench
(cd "$out/repo" && mlops notebook run notebooks/churn.ipynb -o "$out/churn.ipynb" >/dev/null && mlops models download churn@candidate --to "$out/bundle" >/dev/null)

wait_for() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }
mlops serve "$out/bundle" --port 18611 >/dev/null 2>&1 & pids+=($!)
/usr/bin/python3 bench/serving/fastapi_server.py "$out/repo/notebooks/data/churn.csv" 18612 >/dev/null 2>&1 & pids+=($!)
wait_for http://127.0.0.1:18611/v2/health/ready
wait_for http://127.0.0.1:18612/docs

row='{"TenureMonths": 3, "MonthlyCharges": 95, "SupportCalls": 5, "Contract": "month-to-month", "Internet": "fiber", "SeniorCitizen": 1}'
cat > "$out/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$row'
wrk.headers["Content-Type"] = "application/json"
LUA
run() { # name, url, [script]
  local args=(-t2 -c32 -d"${seconds}s" --latency)
  [ -n "${3:-}" ] && args+=(-s "$3")
  wrk "${args[@]}" "$2" > "$out/$1.txt" 2>&1 || { cat "$out/$1.txt"; exit 1; }
  local non2xx; non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\)/\1/p' "$out/$1.txt")
  [ -z "$non2xx" ] || { echo "$1: $non2xx answers were not 2xx" >&2; exit 1; }
}
for server in 18611 18612; do curl -s "http://127.0.0.1:$server/predict" -H 'content-type: application/json' -d "$row" >/dev/null; done  # warm
run mlops http://127.0.0.1:18611/predict "$out/post.lua"
run fastapi http://127.0.0.1:18612/predict "$out/post.lua"
run ceiling http://127.0.0.1:18611/v2/health/live

/usr/bin/python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
def read(name):
    text = open(f"{out}/{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", text).group(1))
    p99 = re.search(r"99%\s*([\d.]+)(us|ms|s)", text)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return rps, float(p99.group(1)) * scale
rows = [("mlops serve, POST /predict (FastTree, one row)", "mlops"),
        ("FastAPI + uvicorn, POST /predict (scikit-learn gradient boosting, one row)", "fastapi"),
        ("mlops serve, GET /v2/health/live (no model: the ceiling)", "ceiling")]
results = {key: read(key) for _, key in rows}
print("| server | requests/s | p99 ms | vs FastAPI | vs ceiling |")
print("| --- | ---: | ---: | ---: | ---: |")
for name, key in rows:
    rps, p99 = results[key]
    print(f"| {name} | {rps:,.0f} | {p99:.2f} | {rps / results['fastapi'][0]:.1f} | {rps / results['ceiling'][0]:.2f} |")
print("\nwrk -t2 -c32 with keep-alive, on the same 2 cores as the servers. Targets: 20,000 predictions/s and 10x FastAPI.")
PY
