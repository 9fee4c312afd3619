#!/usr/bin/env bash
# Kernel benchmark: the mlops kernel against the .NET Interactive kernel (its last release), in the same run, driven by
# Jupyter's own client (Debian's jupyter_client, bench/kernel/driver.py): (a) kernel start to idle (start_kernel until
# the first kernel_info reply), (b) the 5-cell C# notebook through jupyter nbconvert --execute, and its cells through
# jupyter_client from kernel start to shutdown (the kernel's share, without nbconvert's start-up), (c) completion latency
# p50/p95 over 200 complete_requests of varied prefixes on a warm session. Goals: at least 2x faster on (a) and (b), a
# ratio of 2.0 or more; p95 under 100 ms. The mlops tool is measured as shipped (dotnet publish with ReadyToRun).
# Usage: bench/kernel.sh [runs] [completions]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
completions=${2:-200}
tests/tools/install-kernel.sh   # Jupyter and the .NET Interactive kernel (.net-csharp)
/usr/bin/python3 -c 'import jupyter_client' 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-jupyter-client >/dev/null; }

out=$(mktemp -d /tmp/mlops-kernel-bench-XXXXXX)
trap 'rm -rf "$out"' EXIT
dotnet publish actions/Mlops.Cli/Mlops.Cli.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/r2r" -nologo -v quiet >/dev/null
dotnet "$out/r2r/mlops.dll" kernel install --prefix "$out/prefix" --name mlops-bench >/dev/null
export JUPYTER_PATH="$out/prefix/share/jupyter:$PWD/tests/tools/jupyter" MLOPS_TRACKING_URI="$out/mlops.db"

/usr/bin/python3 bench/kernel/driver.py --runs "$runs" --completions "$completions" --notebook tests/notebooks/basics.ipynb \
  --kernel .net-csharp --label ".NET Interactive" --kernel mlops-bench --label "mlops kernel"
