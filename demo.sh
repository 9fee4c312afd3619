#!/usr/bin/env bash
# The main job: the churn demo on the embedded store (.mlops/mlops.db at the repository root).
# It versions a generated churn data set, trains two ML.NET models as two tracked runs that record it, registers
# the better model as churn@candidate, then shows runs, data and models with the mlops tool and exports the bundle.
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
echo
echo "== mlops data status"
mlops data status
echo
echo "== mlops models list"
mlops models list
mlops models download churn@candidate --to .mlops/export/churn-candidate
ls .mlops/export/churn-candidate
