"""The reference for bench/serving.sh: a FastAPI + uvicorn server of a scikit-learn gradient-boosting model trained on
the same churn data as the kit's FastTree model, answering the same single-row POST /predict."""
import sys

import numpy as np
import pandas as pd
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sklearn.ensemble import GradientBoostingClassifier

NUMBERS = ["TenureMonths", "MonthlyCharges", "SupportCalls", "SeniorCitizen"]
CATEGORIES = ["Contract", "Internet"]

data = pd.read_csv(sys.argv[1])
label = next(c for c in data.columns if c not in NUMBERS + CATEGORIES)
features = pd.get_dummies(data[NUMBERS + CATEGORIES], columns=CATEGORIES)
columns = list(features.columns)
index = {name: i for i, name in enumerate(columns)}
model = GradientBoostingClassifier(n_estimators=100, random_state=42).fit(features.to_numpy(dtype=float), data[label].astype(bool))


class Customer(BaseModel):
    TenureMonths: float
    MonthlyCharges: float
    SupportCalls: float
    Contract: str
    Internet: str
    SeniorCitizen: float


app = FastAPI()


@app.post("/predict")
def predict(customer: Customer):
    # The row as the model was trained on it, built directly (no DataFrame per request: what a tuned server does).
    row = np.zeros((1, len(columns)))
    for name in NUMBERS:
        row[0, index[name]] = getattr(customer, name)
    for name in CATEGORIES:
        column = index.get(f"{name}_{getattr(customer, name)}")
        if column is not None:
            row[0, column] = 1.0
    probability = float(model.predict_proba(row)[0][1])
    return {"PredictedLabel": probability > 0.5, "Probability": probability}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
