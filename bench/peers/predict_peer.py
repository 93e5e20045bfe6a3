"""A Python serving stack for the predict benchmark, shaped like MLServer's XGBoost runtime:
FastAPI + uvicorn (Debian 12's python3-fastapi, python3-uvicorn), one worker, the model loaded
once with xgboost.Booster, each request turned into a DMatrix and predicted.

    /usr/bin/python3 bench/peers/predict_peer.py MODEL.json PORT
POST /predict {"inputs": [[...], ...]} -> {"predictions": [...]}
"""

import sys

import numpy as np
import uvicorn
import xgboost as xgb
from fastapi import FastAPI
from pydantic import BaseModel

booster = xgb.Booster()
booster.load_model(sys.argv[1])
app = FastAPI()


class PredictRequest(BaseModel):
    inputs: list


@app.post("/predict")
def predict(request: PredictRequest):
    rows = np.array(request.inputs, dtype=np.float32)
    return {"predictions": booster.predict(xgb.DMatrix(rows)).tolist()}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", workers=1)
