"""Image classification inference service.

    uvicorn clean_12:app --host 0.0.0.0 --port 8080 --workers 2
"""
import io
import logging
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from fastapi import FastAPI, File, HTTPException, UploadFile
from PIL import Image
from pydantic import BaseModel

logger = logging.getLogger("classifier")

CHECKPOINT = os.environ.get("MODEL_CHECKPOINT", "/models/defects_v3.pt")
LABELS = os.environ.get("MODEL_LABELS", "ok,scratch,dent,stain,crack").split(",")
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)


def conv_bn(in_ch, out_ch, stride=1):
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False), nn.BatchNorm2d(out_ch),
                         nn.ReLU(inplace=True))


class DefectNet(nn.Module):
    def __init__(self, num_classes: int, width: int = 32):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, width, 2),
            conv_bn(width, width * 2, 2),
            conv_bn(width * 2, width * 4, 2),
            conv_bn(width * 4, width * 8, 2),
            conv_bn(width * 8, width * 8, 1),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width * 8, num_classes)

    def forward(self, x):
        return self.fc(self.pool(self.features(x)).flatten(1))


def load_model(path: str) -> nn.Module:
    model = DefectNet(num_classes=len(LABELS))
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state.get("model", state))
    model.to(DEVICE)
    model.eval()
    return model


def preprocess(data: bytes) -> torch.Tensor:
    img = Image.open(io.BytesIO(data)).convert("RGB").resize((224, 224), Image.BILINEAR)
    x = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).view(224, 224, 3)
    x = x.permute(2, 0, 1).float().div(255)
    return (x - MEAN) / STD


class Prediction(BaseModel):
    label: str
    confidence: float
    scores: dict[str, float]
    latency_ms: float


app = FastAPI(title="defect-classifier")
MODEL = load_model(CHECKPOINT)


@app.on_event("startup")
def warmup():
    with torch.inference_mode():
        MODEL(torch.zeros(1, 3, 224, 224, device=DEVICE))
    logger.info("model %s loaded on %s", CHECKPOINT, DEVICE)


def _to_prediction(probs: torch.Tensor, latency_ms: float) -> Prediction:
    idx = int(probs.argmax())
    return Prediction(label=LABELS[idx], confidence=float(probs[idx]),
                      scores={name: float(p) for name, p in zip(LABELS, probs)}, latency_ms=latency_ms)


@app.get("/healthz")
def healthz():
    return {"status": "ok", "device": str(DEVICE), "training": MODEL.training}


@app.post("/predict", response_model=Prediction)
async def predict(file: UploadFile = File(...)):
    try:
        x = preprocess(await file.read()).unsqueeze(0).to(DEVICE)
    except Exception as exc:  # malformed upload
        raise HTTPException(status_code=400, detail=f"cannot decode image: {exc}") from exc
    start = time.perf_counter()
    with torch.inference_mode():
        probs = F.softmax(MODEL(x), dim=1)[0].cpu()
    return _to_prediction(probs, (time.perf_counter() - start) * 1000)


@app.post("/predict_batch", response_model=list[Prediction])
async def predict_batch(files: list[UploadFile] = File(...)):
    if len(files) > 64:
        raise HTTPException(status_code=413, detail="at most 64 images per request")
    batch = torch.stack([preprocess(await f.read()) for f in files]).to(DEVICE)
    start = time.perf_counter()
    with torch.inference_mode():
        probs = F.softmax(MODEL(batch), dim=1).cpu()
    latency = (time.perf_counter() - start) * 1000 / len(files)
    return [_to_prediction(p, latency) for p in probs]
