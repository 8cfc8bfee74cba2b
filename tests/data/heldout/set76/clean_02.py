"""FastAPI service: X-ray view classifier (PA / AP / lateral / other).

    uvicorn clean_02:app --host 0.0.0.0 --port 8000 --workers 2
"""
import io
import os
import time
from typing import List

import torch
import torch.nn as nn
from fastapi import FastAPI, File, HTTPException, UploadFile
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel
from torchvision import models, transforms

WEIGHTS = os.environ.get("VIEW_CLS_WEIGHTS", "/srv/models/view_cls_densenet121.pth")
CLASSES = ["PA", "AP", "LATERAL", "OTHER"]
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")

PREPROCESS = transforms.Compose([
    transforms.Grayscale(num_output_channels=3),
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
])


def build_model():
    net = models.densenet121(weights=None)
    net.classifier = nn.Linear(net.classifier.in_features, len(CLASSES))
    state = torch.load(WEIGHTS, map_location="cpu")
    net.load_state_dict(state)
    return net.to(DEVICE)


model = build_model()
model.eval()

app = FastAPI(title="xray-view-classifier", version="1.3.0")


class Prediction(BaseModel):
    filename: str
    view: str
    confidence: float
    scores: dict


class BatchResponse(BaseModel):
    predictions: List[Prediction]
    latency_ms: float


@app.get("/health")
def health():
    return {"status": "ok", "device": str(DEVICE), "classes": CLASSES}


@app.post("/predict", response_model=BatchResponse)
async def predict(files: List[UploadFile] = File(...)):
    if not files:
        raise HTTPException(status_code=400, detail="no files uploaded")
    tensors, names = [], []
    for f in files:
        raw = await f.read()
        try:
            img = Image.open(io.BytesIO(raw))
        except UnidentifiedImageError:
            raise HTTPException(status_code=415, detail=f"{f.filename}: not an image")
        tensors.append(PREPROCESS(img))
        names.append(f.filename or "upload")

    batch = torch.stack(tensors).to(DEVICE)
    t0 = time.perf_counter()
    with torch.inference_mode():
        probs = torch.softmax(model(batch), dim=1).cpu()
    latency = (time.perf_counter() - t0) * 1000.0

    preds = []
    for name, row in zip(names, probs):
        idx = int(row.argmax())
        preds.append(Prediction(
            filename=name,
            view=CLASSES[idx],
            confidence=float(row[idx]),
            scores={c: round(float(p), 4) for c, p in zip(CLASSES, row)},
        ))
    return BatchResponse(predictions=preds, latency_ms=latency)
