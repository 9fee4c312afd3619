#!/usr/bin/env bash
# Model server benchmark (issue 13), the churn FastTree model, wrk with keep-alive on the same 2 cores as the servers:
#   1. single-row predictions per second (wrk -t2 -c32) against one container built by `mlops containerize`, and against
#      `mlops serve` as a process; references in the same run, measured the same way: a FastAPI + uvicorn server (one
#      worker) of a scikit-learn gradient-boosting model of the same data (Debian's python3-fastapi, python3-uvicorn,
#      python3-sklearn), and the container's /v2/health/live, which answers without the model (its ceiling);
#   2. p99 latency at about half the container's peak rate (wrk's delay() per request, tuned by a short first run);
#   3. rows per second of 1,000-row batches through POST /predict (wrk -t2 -c4) against ServingBench, an in-process
#      Transform of the same rows with the same model.zip on two threads for the same seconds;
#   4. the image's size, and container start to ready (docker run -> GET /v2/health/ready 200), median of 5 fresh ones;
#   5. failed requests under wrk load through `mlops deploy`'s proxy during a blue-green switch and a canary rollback.
# Prints one table with each figure, its target and its reference. A missed target is reported, not an error; a broken
# run (a server that does not answer, answers that are not 2xx) exits 1. Every container and image it makes is removed.
# Usage: bench/serving.sh [seconds per wrk run]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
command -v wrk >/dev/null && command -v dockerd >/dev/null && /usr/bin/python3 -c 'import fastapi, uvicorn, sklearn, pandas' 2>/dev/null || {
  apt-get update -qq && apt-get install -y -qq wrk docker.io python3-fastapi python3-uvicorn python3-sklearn python3-pandas >/dev/null; }

# The Docker engine, started as test.sh starts it when none answers (never a second dockerd beside a running one).
if ! docker version >/dev/null 2>&1; then
  pgrep -x dockerd >/dev/null || nohup dockerd >/tmp/mlops-dockerd.log 2>&1 &
  for _ in $(seq 60); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
  docker version >/dev/null 2>&1 || { echo "The Docker engine did not start in 30 s; see /tmp/mlops-dockerd.log." >&2; exit 1; }
fi

out=$(mktemp -d /tmp/mlops-serving-bench-XXXXXX)
pids=() containers=() images=()
cleanup() {
  [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
  [ ${#containers[@]} -eq 0 ] || docker rm -f "${containers[@]}" >/dev/null 2>&1 || true
  [ -z "${environment:-}" ] || docker rm -f $(docker ps -aq --filter "label=io.mlopsnotebooks.deployment=mlops-churn-$environment") >/dev/null 2>&1 || true
  [ -z "${environment:-}" ] || docker network rm "mlops-churn-$environment" >/dev/null 2>&1 || true
  [ ${#images[@]} -eq 0 ] || docker image rm -f "${images[@]}" >/dev/null 2>&1 || true
  rm -rf "$out"
}
trap cleanup EXIT

# The local stand-in for the chiseled ASP.NET base (nothing can be pulled here); removed at the end if this run made it.
base=mlops-test/aspnet:10.0
docker image inspect "$base" >/dev/null 2>&1 || images+=("$base")
tests/tools/build-base-image.sh "$base"  # also builds it again when its recipe changed

# A step whose output is not the figure: its output shown only when it fails, so a broken run says why.
quiet() { "$@" > "$out/step.log" 2>&1 || { cat "$out/step.log" >&2; echo "bench/serving.sh: failed: $*" >&2; exit 1; }; }
quiet dotnet publish actions/Mlops.Cli/Mlops.Cli.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/r2r" -nologo -v quiet
quiet dotnet build bench/ServingBench/ServingBench.csproj -c Release -nologo -v quiet
mlops() { dotnet "$out/r2r/mlops.dll" "$@"; }

# The churn model as the demo makes it: the sample notebook in a scratch repository, its candidate exported.
mkdir -p "$out/repo" && cp -r notebooks "$out/repo/" && git -C "$out/repo" init -q && git -C "$out/repo" add -A \
  && git -C "$out/repo" -c user.email=bench@localhost -c user.name=bench commit -qm bench
(cd "$out/repo" && quiet mlops notebook run notebooks/churn.ipynb -o "$out/churn.ipynb" && quiet mlops models download churn@candidate --to "$out/bundle")

# The image, tagged under a name of this run's own so that removing it touches nothing else.
repository=mlops-bench/churn-$$
(cd "$out/repo" && mlops containerize "$out/bundle" --image "$repository" --base-image "$base" --json 2>"$out/containerize.log") > "$out/image.json" \
  || { cat "$out/containerize.log" >&2; exit 1; }
image=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$out/image.json")
images=("$image" "${images[@]}")

# Containers are reached at their address on Docker's bridge, port 8080: a published port would put the engine's userland
# proxy, a process with a copy per connection, between wrk and the server, and measure it instead.
address() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }
containers+=("$(docker run -d --rm "$image")")
container=http://$(address "${containers[-1]}"):8080
# The same image on the host's network, listening on a free port: the figure without Docker's bridge (a reference).
host_port=$(free_port)
containers+=("$(docker run -d --rm --network host -e MLOPS_HOST=127.0.0.1 -e MLOPS_PORT="$host_port" "$image")")
process_port=$(free_port)
# Started without the function, so that $! is the server itself and the trap's kill reaches it (not a subshell).
dotnet "$out/r2r/mlops.dll" serve "$out/bundle" --port "$process_port" >/dev/null 2>&1 & pids+=($!)
fastapi_port=$(free_port)
/usr/bin/python3 bench/serving/fastapi_server.py "$out/repo/notebooks/data/churn.csv" "$fastapi_port" >/dev/null 2>&1 & pids+=($!)
wait_for "$container/v2/health/ready"
wait_for "http://127.0.0.1:$host_port/v2/health/ready"
wait_for "http://127.0.0.1:$process_port/v2/health/ready"
wait_for "http://127.0.0.1:$fastapi_port/docs"

# One row, and the first 1,000 rows of the training data with the same columns, as JSON.
echo '{"TenureMonths": 3, "MonthlyCharges": 95, "SupportCalls": 5, "Contract": "month-to-month", "Internet": "fiber", "SeniorCitizen": 1}' > "$out/row.json"
/usr/bin/python3 - "$out/row.json" "$out/repo/notebooks/data/churn.csv" "$out/batch.json" <<'PY'
import csv, json, sys
columns = list(json.load(open(sys.argv[1])))
def value(text):
    try:
        return float(text)
    except ValueError:
        return text
with open(sys.argv[2], newline="") as f:
    rows = [{c: value(r[c]) for c in columns} for r, _ in zip(csv.DictReader(f), range(1000))]
assert len(rows) == 1000, f"the churn data has {len(rows)} rows, not 1,000"
json.dump(rows, open(sys.argv[3], "w"))
PY

run() { # name, connections, url, [body file], [delay ms]; $duration overrides the seconds
  local args=(-t2 "-c$2" "-d${duration:-$seconds}s" --latency)
  [ -z "${4:-}" ] || args+=(-s bench/serving/post.lua)
  BODY=${4:-} DELAY_MS=${5:-} wrk "${args[@]}" "$3" > "$out/$1.txt" 2>&1 || { cat "$out/$1.txt" >&2; exit 1; }
  local non2xx; non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\)/\1/p' "$out/$1.txt")
  [ -z "$non2xx" ] || { echo "$1: $non2xx answers were not 2xx" >&2; exit 1; }
}
rate() { sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$out/$1.txt"; }
for server in "$container" "http://127.0.0.1:$host_port" "http://127.0.0.1:$process_port" "http://127.0.0.1:$fastapi_port"; do  # warm
  curl -sf "$server/predict" -H 'content-type: application/json' -d @"$out/row.json" >/dev/null
done
cut -d' ' -f1 /proc/loadavg > "$out/load.txt"
# The JIT tiers a server's hot path up during its first seconds under load; ServingBench warms before its clock starts,
# so every server gets a few seconds of the same load, single rows and batches, before it is measured.
for server in "$container" "http://127.0.0.1:$host_port" "http://127.0.0.1:$process_port" "http://127.0.0.1:$fastapi_port"; do
  duration=3 run warm 32 "$server/predict" "$out/row.json"
done
duration=3 run warm 4 "$container/predict" "$out/batch.json"
run container 32 "$container/predict" "$out/row.json"
run ceiling 32 "$container/v2/health/live"
run host 32 "http://127.0.0.1:$host_port/predict" "$out/row.json"
run process 32 "http://127.0.0.1:$process_port/predict" "$out/row.json"
run fastapi 32 "http://127.0.0.1:$fastapi_port/predict" "$out/row.json"

# Half the container's peak: 32 connections, each waiting d ms before a request, reach 32 / (d + latency) per ms. Short
# runs measure what the latency adds at that load and correct d, until one lands within 10% of half the peak (at most
# three); the run after them is the figure, and the table says the rate it reached.
half=$(/usr/bin/python3 -c "print($(rate container) / 2)")
delay=$(/usr/bin/python3 -c "print(max(0.0, 32000 / $half - 1))")
for _ in 1 2 3; do
  duration=3 run calibrate 32 "$container/predict" "$out/row.json" "$delay"
  /usr/bin/python3 -c "import sys; sys.exit(abs($(rate calibrate) / $half - 1) > 0.1)" && break
  delay=$(/usr/bin/python3 -c "print(max(0.0, 32000 / $half - (32000 / $(rate calibrate) - $delay)))")
done
run paced 32 "$container/predict" "$out/row.json" "$delay"

run batch 4 "$container/predict" "$out/batch.json"
dotnet bench/ServingBench/bin/Release/net10.0/ServingBench.dll "$out/bundle/model.zip" "$out/batch.json" "$seconds" 2 > "$out/transform.txt"

# Start to ready: docker run to the first 200 from /v2/health/ready, each start a fresh container, polled every 10 ms.
for _ in 1 2 3 4 5; do
  start=$(date +%s%N)
  id=$(docker run -d --rm "$image")
  containers+=("$id")
  ready=http://$(address "$id"):8080/v2/health/ready
  until curl -sf -o /dev/null "$ready"; do
    [ $(( $(date +%s%N) - start )) -lt 30000000000 ] || { echo "a fresh container was not ready in 30 s" >&2; exit 1; }
    sleep 0.01
  done
  echo $(( $(date +%s%N) - start )) >> "$out/starts.txt"
  docker rm -f "$id" >/dev/null
done

# 5. Failed requests while `mlops deploy` moves traffic, under wrk load (-t2 -c32) through the environment's stable
# address (its proxy): a blue-green switch to a fresh container of the same image, then a canary of another that the
# judge rolls back (a p99 ceiling no server meets). A non-2xx answer or a socket error is a failed request.
environment=bench$$
deploy_port=$(free_port)
tag=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["tags"][0])' "$out/image.json")
deploy() { (cd "$out/repo" && mlops deploy churn@candidate --image "$tag" --environment "$environment" --port "$deploy_port" "$@"); }
under_load() { # name, the deploy's exit code it must have, the deploy's options
  BODY=$out/row.json wrk -t2 -c32 -d600s --latency -s bench/serving/post.lua "http://127.0.0.1:$deploy_port/predict" > "$out/$1.txt" 2>&1 &
  local load=$!
  pids+=("$load")
  sleep 2
  local status=0
  deploy "${@:3}" > "$out/$1-deploy.txt" 2>&1 || status=$?
  sleep 2
  kill -INT "$load" && wait "$load" || true
  [ "$status" = "$2" ] || { echo "$1: mlops deploy exited $status, not $2:" >&2; cat "$out/$1-deploy.txt" >&2; exit 1; }
}
deploy > "$out/first-deploy.txt" 2>&1 || { cat "$out/first-deploy.txt" >&2; exit 1; }
under_load blue-green 0
under_load canary 1 --canary --canary-steps 50 --canary-step-duration 3s --max-p99-ms 0.001
grep -q 'rolled back' "$out/canary-deploy.txt" || { echo "canary: not rolled back:" >&2; cat "$out/canary-deploy.txt" >&2; exit 1; }

docker image inspect "$base" --format '{{.Size}}' > "$out/base-size.txt"
cut -d' ' -f1 /proc/loadavg >> "$out/load.txt"

/usr/bin/python3 bench/serving/table.py "$out" "$seconds"
