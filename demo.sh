#!/usr/bin/env bash
# The main job: the churn demo on the embedded store (.mlops/mlops.db at the repository root).
# It trains two ML.NET models as two tracked runs, then shows them with the mlops tool.
set -euo pipefail
cd "$(dirname "$0")"

dotnet build notebooks/churn-demo/ChurnDemo.csproj -c Release -nologo -v quiet
dotnet build actions/Mlops.Cli/Mlops.Cli.csproj -c Release -nologo -v quiet
mlops() { dotnet actions/Mlops.Cli/bin/Release/net10.0/mlops.dll "$@"; }

dotnet notebooks/churn-demo/bin/Release/net10.0/ChurnDemo.dll

echo
echo "== mlops runs list -e churn-demo -n 4"
mlops runs list -e churn-demo -n 4
ids=$(mlops runs list -e churn-demo -n 2 --json | sed -n 's/^    "run_id": "\([0-9a-f]*\)",$/\1/p')
echo
echo "== mlops runs compare" $ids
mlops runs compare $ids
