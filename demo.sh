#!/usr/bin/env bash
# The main job: the churn notebook, run headless by the mlops runner, on the embedded store (.mlops/ at the root).
# The notebook versions a generated churn data set, trains two ML.NET models as two tracked runs that record it and
# registers the better model as churn@candidate; then the mlops tool shows runs, data and models and exports the bundle.
set -euo pipefail
cd "$(dirname "$0")"

dotnet build actions/Mlops.Cli/Mlops.Cli.csproj -c Release -nologo -v quiet
mlops() { dotnet actions/Mlops.Cli/bin/Release/net10.0/mlops.dll "$@"; }

echo "== mlops notebook run notebooks/churn.ipynb"
mlops notebook run notebooks/churn.ipynb --output .mlops/notebooks/churn.ipynb

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
