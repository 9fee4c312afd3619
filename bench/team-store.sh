#!/usr/bin/env bash
# The team store beside the embedded one: durable metric points per second into PostgreSQL on 127.0.0.1 and into
# SQLite through TrackingClient, where COPY overtakes a multi-row INSERT, and a search over 100,000 runs with a metric
# filter and a metric order by on both. Starts its own throwaway PostgreSQL 15 cluster and removes it at the end.
# Usage: bench/team-store.sh [points] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/initdb" ] || { echo "PostgreSQL 15 is missing: apt-get install postgresql-15" >&2; exit 1; }
dotnet build bench/TeamStoreBench/TeamStoreBench.csproj -c Release -nologo -v quiet

data=$(mktemp -d /tmp/mlops-bench-pg.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
chown postgres "$data"
stop() { runuser -u postgres -- "$bin/pg_ctl" -D "$data/db" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$data"; }
trap stop EXIT
# Trust on loopback only: a throwaway cluster with nothing in it but the benchmark's rows. Default durability
# (fsync on, synchronous_commit on): the figures are for committed, durable points.
runuser -u postgres -- "$bin/initdb" -D "$data/db" -U bench --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$bin/pg_ctl" -D "$data/db" -w -l "$data/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $data" start >/dev/null
for db in points search; do
  runuser -u postgres -- "$bin/psql" -h 127.0.0.1 -p "$port" -U bench -d postgres -qc "CREATE DATABASE $db" >/dev/null
done
dotnet bench/TeamStoreBench/bin/Release/net10.0/TeamStoreBench.dll \
  "postgresql://bench@127.0.0.1:$port/points" "postgresql://bench@127.0.0.1:$port/search" "$@"
