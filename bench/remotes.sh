#!/usr/bin/env bash
# Remotes benchmark: push and pull of 10,000 small objects (1-4 KiB) and one 1 GiB object through a fresh directory
# remote and through every URL given, in the same run, each time also as a ratio to the directory remote's. Measured
# through the core API that `mlops data push/pull` call (bench/RemotesBench), without the tool's start-up.
# Usage: bench/remotes.sh [--services] [--small N] [--big-mib M] [--no-build] [URL...]
#   --services  starts Azurite and s3rver from tests/tools/node_modules/.bin on 127.0.0.1 (data in a temporary folder)
#               and measures azure://bench/remotes and s3://bench/remotes through them, their variables set for this
#               run only. Other URLs (e.g. azure://bench/x s3://bench/x) take credentials from the environment, as
#               `mlops data push` does.
set -euo pipefail
cd "$(dirname "$0")/.."

services=0 build=1 pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --services) services=1 ;;
    --no-build) build=0 ;;
    --small|--big-mib) [ $# -ge 2 ] || { echo "error: $1 needs a value" >&2; exit 2; }; pass+=("$1" "$2"); shift ;;
    -*) echo "error: unknown option $1" >&2; echo "Usage: bench/remotes.sh [--services] [--small N] [--big-mib M] [--no-build] [URL...]" >&2; exit 2 ;;
    *) pass+=("$1") ;;
  esac
  shift
done

if [ "$build" = 1 ]; then dotnet build bench/RemotesBench/RemotesBench.csproj -c Release -nologo -v quiet >/dev/null; fi
bench="$PWD/bench/RemotesBench/bin/Release/net10.0/RemotesBench.dll"
[ -f "$bench" ] || { echo "error: $bench is not built; run without --no-build" >&2; exit 1; }

pids=() scratch=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -z "$scratch" ] || rm -rf "$scratch"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "error: $2 did not start on 127.0.0.1:$1" >&2; exit 1
}

if [ "$services" = 1 ]; then
  tools="$PWD/tests/tools/node_modules/.bin"
  if [ ! -x "$tools/azurite-blob" ] || [ ! -x "$tools/s3rver" ]; then
    echo "error: Azurite or s3rver is not installed in tests/tools" >&2
    echo "Run: npm ci --prefix tests/tools --no-audit --no-fund" >&2
    exit 1
  fi
  scratch=$(mktemp -d /tmp/mlops-remotes-services-XXXXXX)
  mkdir -p "$scratch/azurite" "$scratch/s3rver"
  azure_port=$(free_port)
  "$tools/azurite-blob" --blobHost 127.0.0.1 --blobPort "$azure_port" --location "$scratch/azurite" --silent \
    --disableTelemetry --skipApiVersionCheck >"$scratch/azurite.log" 2>&1 &
  pids+=($!)
  s3_port=$(free_port)
  # s3rver's listing continuation tokens use DES, which Node's OpenSSL 3 keeps in its legacy provider (past 1,000 objects).
  NODE_OPTIONS=--openssl-legacy-provider "$tools/s3rver" --directory "$scratch/s3rver" --address 127.0.0.1 --port "$s3_port" --silent \
    --configure-bucket bench >"$scratch/s3rver.log" 2>&1 &
  pids+=($!)
  wait_port "$azure_port" Azurite
  wait_port "$s3_port" s3rver
  # Azurite's development account and s3rver's fixed test credentials: published defaults of local emulators.
  export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$azure_port/devstoreaccount1;"
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 AWS_ENDPOINT_URL_S3="http://127.0.0.1:$s3_port"
  pass+=(--create-containers azure://bench/remotes s3://bench/remotes)
fi

dotnet "$bench" ${pass[@]+"${pass[@]}"}
