"""Optuna's side of bench/sweep.sh: TPE (Optuna's defaults) over scikit-learn's HistGradientBoostingClassifier and
LogisticRegression, each trial scored by the mean AUC over the folds given in the CSV's Fold column (ML.NET's split,
so both sides score on the same rows). Writes [[seconds since the search started, mean AUC, trainer index], ...]."""
import argparse
import json
import time

import numpy as np
import optuna
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder

TRAINERS = ["HistGradientBoosting", "LogisticRegression"]

parser = argparse.ArgumentParser()
parser.add_argument("csv")
parser.add_argument("--budget", type=float, required=True)
parser.add_argument("--folds", type=int, required=True)
parser.add_argument("--seed", type=int, required=True)
parser.add_argument("--numbers", required=True)
parser.add_argument("--categories", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

data = pd.read_csv(args.csv)
numbers, categories = args.numbers.split(","), args.categories.split(",")
features, label, fold = data[numbers + categories], data["Label"].to_numpy(), data["Fold"].to_numpy()


def model(trial):
    # The same ranges as the catalog's boosted trees where the settings mean the same; C spans the linear trainers' l2.
    trainer = trial.suggest_categorical("trainer", TRAINERS)
    if trainer == "HistGradientBoosting":
        estimator = HistGradientBoostingClassifier(
            learning_rate=trial.suggest_float("learning_rate", 0.001, 1, log=True),
            max_iter=trial.suggest_int("max_iter", 4, 256, log=True),
            max_leaf_nodes=trial.suggest_int("max_leaf_nodes", 4, 128, log=True),
            min_samples_leaf=trial.suggest_int("min_samples_leaf", 2, 128, log=True),
            l2_regularization=trial.suggest_float("l2_regularization", 0.001, 1000, log=True),
            early_stopping=False,
            random_state=args.seed,
        )
    else:
        estimator = LogisticRegression(C=trial.suggest_float("C", 1e-4, 1e4, log=True), max_iter=1000)
    columns = ColumnTransformer([("numbers", MinMaxScaler(), numbers), ("categories", OneHotEncoder(handle_unknown="ignore"), categories)])
    return make_pipeline(columns, estimator)


def objective(trial):
    pipeline = model(trial)
    aucs = []
    for f in range(args.folds):
        train, test = fold != f, fold == f
        pipeline.fit(features[train], label[train])
        aucs.append(roc_auc_score(label[test], pipeline.predict_proba(features[test])[:, 1]))
    return float(np.mean(aucs))


points = []
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=args.seed))
start = time.perf_counter()


def record(study, trial):
    if trial.value is not None:
        points.append([time.perf_counter() - start, trial.value, TRAINERS.index(trial.params["trainer"])])


study.optimize(objective, timeout=args.budget, callbacks=[record])
with open(args.out, "w") as out:
    json.dump(points, out)
