#!/usr/bin/env bash
# The main job: the churn pipeline on the embedded store (.mlops/ at the root). mlops validate runs the churn notebook
# headless (it versions a generated churn data set, trains two ML.NET models as two tracked runs that record it and
# registers the better model as churn@candidate), checks the data against notebooks/data/churn.schema.yaml and the model
# against mlops-gates.yaml and the committed baseline notebooks/metrics.json, and writes the report the pull request
# would get (.mlops/report/). Then the mlops tool shows runs, data and models, exports the bundle, and serves the
# candidate on 127.0.0.1 (in a container when a Docker engine answers, else as a process) with its prediction log on: a
# few predictions, a refused one, and the server's metrics. Then a batch of customers unlike the training data arrives,
# and mlops monitor compares the log with the version's reference (profiled from the training data at registration)
# and writes the drift report (.mlops/monitor/). The container and its image are removed on exit.
set -euo pipefail
cd "$(dirname "$0")"

dotnet build actions/Mlops.Cli/Mlops.Cli.csproj -c Release -nologo -v quiet
mlops() { dotnet actions/Mlops.Cli/bin/Release/net10.0/mlops.dll "$@"; }

echo "== mlops validate (runs notebooks/churn.ipynb, checks data and model gates)"
mlops validate --notebooks notebooks/churn.ipynb --data notebooks/data/churn.csv=notebooks/data/churn.schema.yaml \
  --report .mlops/report/report.json
ls .mlops/report

echo
echo "== mlops runs list -e churn-demo -n 4"
mlops runs list -e churn-demo -n 4
ids=$(mlops runs list -e churn-demo -n 2 --json | sed -n 's/^    "run_id": "\([0-9a-f]*\)",$/\1/p')
echo
echo "== mlops runs compare" $ids
mlops runs compare $ids
echo
echo "== mlops data status"
mlops data status
echo
echo "== mlops models list"
mlops models list
mlops models download churn@candidate --to .mlops/export/churn-candidate
ls .mlops/export/churn-candidate

# The candidate serves in a container when a Docker engine answers, else as a process; either way on 127.0.0.1 only.
log=$(mktemp)
# The prediction log's folder; the container's user (1654) writes into it.
predictions=$(mktemp -d)
chmod 777 "$predictions"
container=
image=
cleanup() {
  [ -z "$container" ] || docker rm -f "$container" >/dev/null 2>&1 || true
  [ -z "$image" ] || docker rmi -f "$image" >/dev/null 2>&1 || true
  [ -z "${server:-}" ] || kill "$server" 2>/dev/null || true
  rm -f "$log"
  rm -rf "$predictions"
}
trap cleanup EXIT
url=
if docker version >/dev/null 2>&1; then
  echo
  echo "== mlops containerize churn@candidate --image mlops-demo/churn (a Docker engine answers)"
  # Nothing can be pulled here, so the base image is built from this machine's .NET runtimes when it is missing.
  tests/tools/build-base-image.sh mlops-test/aspnet:10.0
  mlops containerize churn@candidate --image mlops-demo/churn --base-image mlops-test/aspnet:10.0 | tee "$log"
  image=$(sed -n 's/^Built image \([^ ]*\) .*/\1/p' "$log")
  tag=$(sed -n 's/^  \(mlops-demo\/churn:[^ ]*\)$/\1/p' "$log" | head -n 1)
  [ -n "$image" ] && [ -n "$tag" ] || { echo "containerize named no image"; exit 1; }
  echo
  echo "== docker run $tag (the model server's container, its port published on 127.0.0.1 only)"
  container=$(docker run -d -p 127.0.0.1::8080 -v "$predictions:/predictions" -e MLOPS_PREDICTION_LOG=/predictions "$tag")
  url="http://$(docker port "$container" 8080/tcp | head -n 1)"
  for _ in $(seq 1 100); do
    docker logs "$container" 2>&1 | grep -q '^Ready: ' && break
    [ "$(docker inspect -f '{{.State.Running}}' "$container")" = true ] || { docker logs "$container"; exit 1; }
    sleep 0.2
  done
  docker logs "$container" 2>&1 | grep -q '^Ready: ' || { echo "the container did not get ready:"; docker logs "$container"; exit 1; }
  docker logs "$container" 2>&1
  echo "Published on $url"
else
  echo
  echo "== mlops serve churn@candidate (no Docker engine answers: a process on 127.0.0.1, the server the container runs)"
  mlops serve churn@candidate --port 0 --log-predictions "$predictions" > "$log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do
    url=$(sed -n 's|^Ready: POST \(http://[0-9.:]*\)/predict.*|\1|p' "$log")
    [ -n "$url" ] && break
    kill -0 $server 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.2
  done
  [ -n "$url" ] || { echo "the server did not get ready:"; cat "$log"; exit 1; }
  cat "$log"
fi
# curl where the machine has it, else Python's standard library (the demo needs neither installed by hand).
get() { if command -v curl >/dev/null; then curl -sS "$1"; else python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode(), end="")' "$1"; fi; }
post() {
  if command -v curl >/dev/null; then curl -sS "$1" -H 'content-type: application/json' -d "$2"; else
    python3 -c 'import sys, urllib.request, urllib.error
r = urllib.request.Request(sys.argv[1], sys.argv[2].encode(), {"content-type": "application/json"})
try: print(urllib.request.urlopen(r).read().decode(), end="")
except urllib.error.HTTPError as e: print(e.read().decode(), end="")' "$1" "$2"; fi
}
predict() { echo "POST /predict $1"; post "$url/predict" "$1"; echo; }
predict '{"TenureMonths": 3, "MonthlyCharges": 95, "SupportCalls": 5, "Contract": "month-to-month", "Internet": "fiber", "SeniorCitizen": 1}'
predict '[{"TenureMonths": 60, "MonthlyCharges": 40, "SupportCalls": 0, "Contract": "two-year", "Internet": "dsl", "SeniorCitizen": 0}, {"TenureMonths": 12, "MonthlyCharges": 70, "SupportCalls": 2, "Contract": "one-year", "Internet": "fiber", "SeniorCitizen": 0}]'
predict '{"TenureMonths": "soon"}'
echo "GET /metrics (the model's own lines)"
get "$url/metrics" | grep -E '^mlops_server_(requests|predictions)_total'

echo
echo "== monitoring: 300 customers like the training data, then 300 new ones on short month-to-month fiber contracts"
# Generated here with Python's standard library; the reference is the notebook's data/churn.csv, profiled at registration.
batch() {
  python3 - "$1" <<'PY'
import json, random, sys
shifted = sys.argv[1] == "shifted"
random.seed(7 if shifted else 3)
rows = []
for _ in range(300):
    if shifted:
        rows.append({"TenureMonths": random.randint(0, 4), "MonthlyCharges": round(random.uniform(105, 135), 2), "SupportCalls": random.randint(3, 7),
                     "Contract": "month-to-month", "Internet": "fiber", "SeniorCitizen": 1 if random.random() < 0.5 else 0})
    else:
        # as the notebook generates its customers
        service = random.choices(["none", "dsl", "fiber"], [0.2, 0.35, 0.45])[0]
        calls, p = 0, random.random()
        while p > 0.2231:  # Poisson(1.5) by Knuth's method: e^-1.5
            calls, p = calls + 1, p * random.random()
        rows.append({"TenureMonths": round(random.random() * 72), "MonthlyCharges": round(20 + random.random() * 60 + {"fiber": 30, "dsl": 10, "none": 0}[service], 2),
                     "SupportCalls": calls, "Contract": random.choices(["month-to-month", "one-year", "two-year"], [0.55, 0.25, 0.20])[0],
                     "Internet": service, "SeniorCitizen": 1 if random.random() < 0.16 else 0})
print(json.dumps(rows))
PY
}
post "$url/predict" "$(batch usual)" > /dev/null
post "$url/predict" "$(batch shifted)" > /dev/null
sleep 2 # the server flushes its log every second
ls "$predictions"
echo
echo "== mlops monitor --bundle .mlops/export/churn-candidate --log <predictions> --metrics $url/metrics --report .mlops/monitor"
mlops monitor --bundle .mlops/export/churn-candidate --log "$predictions" --metrics "$url/metrics" --report .mlops/monitor
ls .mlops/monitor
