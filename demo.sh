#!/usr/bin/env bash
# The main job: the churn pipeline on the embedded store (.mlops/ at the root). mlops validate runs the churn notebook
# headless (it versions a generated churn data set, trains two ML.NET models as two tracked runs that record it and
# registers the better model as churn@candidate), checks the data against notebooks/data/churn.schema.yaml and the model
# against mlops-gates.yaml and the committed baseline notebooks/metrics.json, and writes the report the pull request
# would get (.mlops/report/). Then the mlops tool shows runs, data and models and exports the bundle.
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
