#!/usr/bin/env bash
# Runs every benchmark in Release and prints its table. Usage: bench/run.sh [points] [repeats]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/TrackingBench/TrackingBench.csproj -c Release -nologo -v quiet
echo "== tracking: metric points per second"
dotnet bench/TrackingBench/bin/Release/net10.0/TrackingBench.dll "$@"
echo
echo "== data versioning: 1 GiB file, 100,000 files"
bench/versioning.sh
echo
echo "== notebook runner: 5 cells end to end against the .NET Interactive kernel, #r nuget warm"
bench/runner.sh
echo
echo "== kernel: start to idle, a 5-cell notebook through nbconvert --execute, completion p50/p95, against the .NET Interactive kernel"
bench/kernel.sh
echo
echo "== notebook runner: cost against the number of cells (100 to 1,000 small cells)"
bench/runner-scaling.sh
echo
echo "== model server: one container and the process against FastAPI + uvicorn; p99 at half the peak; 1,000-row batches against an in-process Transform; image size and start to ready; failed requests during a blue-green switch and a canary rollback"
bench/serving.sh
echo
echo "== drift: 1M rows x 50 columns against SciPy, exact and from the reference profile"
bench/drift.sh
echo
echo "== team store: durable metric points/s into PostgreSQL against SQLite; a search over 100,000 runs"
bench/team-store.sh
echo
echo "== remotes: push and pull of 10,000 small objects and one 1 GiB object, Azurite and s3rver against a directory remote"
bench/remotes.sh --services
echo
echo "== sweep: the best AUC in 120 s of our TPE and random search against Optuna's TPE over scikit-learn, on two data sets"
bench/sweep.sh
