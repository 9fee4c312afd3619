#!/usr/bin/env bash
# Sweep benchmark (issue 16): on the churn data and a credit-default-like data set (both generated with a fixed seed),
# one searcher at a time with the same budget: our TPE and random search through Mlops.Sweep with CrossValidation over
# the catalog's binary trainers (FastTree, FastForest, LightGbm, SDCA and L-BFGS logistic regression), and Optuna's TPE
# over scikit-learn's HistGradientBoostingClassifier and LogisticRegression (Debian's python3-optuna and
# python3-sklearn). Every trial is the mean AUC over the same 5 folds. Prints the table, whether our TPE beats random
# and reaches Optuna's best AUC within 0.005 in at most Optuna's time, and the time of a TPE suggestion after 1,000
# trials; writes bench/results/sweep.json and bench/results/sweep-curves.html (not committed).
# Runs after `dotnet build MlopsNotebooks.sln -c Release`. Usage: bench/sweep.sh [--budget SECONDS]   (default 120)
set -euo pipefail
cd "$(dirname "$0")/.."
budget=120
while (($#)); do
    case $1 in
        --budget)
            [[ ${2:-} =~ ^[1-9][0-9]{0,4}$ ]] || { echo "bench/sweep.sh: --budget needs a number of seconds (1 to 86400)." >&2; exit 2; }
            budget=$2
            shift 2 ;;
        *) echo "bench/sweep.sh: unknown argument $1 (usage: bench/sweep.sh [--budget SECONDS])." >&2; exit 2 ;;
    esac
done
bench=bench/Sweep/bin/Release/net10.0/SweepBench.dll
[[ -f $bench ]] || { echo "bench/sweep.sh: $bench is missing; run dotnet build MlopsNotebooks.sln -c Release first." >&2; exit 1; }
if ! /usr/bin/python3 -c 'import optuna, sklearn, pandas' 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-optuna python3-sklearn python3-pandas >/dev/null
fi
exec dotnet "$bench" --budget "$budget" --results bench/results
