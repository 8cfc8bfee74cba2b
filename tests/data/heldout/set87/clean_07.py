"""FastAPI inference service for the skin-lesion classifier (timm resnet50, 8 classes).

    uvicorn app:app --host 0.0.0.0 --port 8080
"""
from __future__ import annotations

import io
import os
from contextlib import asynccontextmanager
from typing import List

import timm
import torch
from fastapi import FastAPI, File, HTTPException, UploadFile
from PIL import Image
from pydantic import BaseModel
from timm.data import create_transform, resolve_data_config

WEIGHTS = os.getenv("WEIGHTS", "/models/isic_resnet50.pth")
LABELS = ["MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC"]
MAX_BATCH = int(os.getenv("MAX_BATCH", "16"))

resources: dict = {}


class Prediction(BaseModel):
    filename: str
    label: str
    score: float
    probs: dict


def load_model(path: str, device: torch.device) -> torch.nn.Module:
    model = timm.create_model("resnet50", pretrained=False, num_classes=len(LABELS))
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state.get("model", state))
    model.to(device)
    model.eval()
    return model


@asynccontextmanager
async def lifespan(app: FastAPI):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = load_model(WEIGHTS, device)
    cfg = resolve_data_config({}, model=model)
    resources.update(model=model, device=device, transform=create_transform(**cfg))
    # warm-up so the first request does not pay for cudnn autotuning
    with torch.inference_mode():
        model(torch.zeros(1, *cfg["input_size"], device=device))
    yield
    resources.clear()


app = FastAPI(title="lesion-classifier", lifespan=lifespan)


def _decode(data: bytes, name: str) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data)).convert("RGB")
    except Exception as exc:  # noqa: BLE001
        raise HTTPException(status_code=422, detail=f"{name}: not an image ({exc})")


def _to_predictions(names: List[str], probs: torch.Tensor) -> List[Prediction]:
    out = []
    for name, p in zip(names, probs.tolist()):
        best = max(range(len(LABELS)), key=lambda i: p[i])
        out.append(Prediction(filename=name, label=LABELS[best], score=round(p[best], 4),
                              probs={l: round(v, 4) for l, v in zip(LABELS, p)}))
    return out


@app.get("/healthz")
def healthz():
    return {"ok": "model" in resources}


@app.post("/predict", response_model=List[Prediction])
async def predict(files: List[UploadFile] = File(...)):
    if not files:
        raise HTTPException(status_code=400, detail="no files")
    if len(files) > MAX_BATCH:
        raise HTTPException(status_code=413, detail=f"at most {MAX_BATCH} images per request")
    model, device, tfm = resources["model"], resources["device"], resources["transform"]
    images = [_decode(await f.read(), f.filename) for f in files]
    batch = torch.stack([tfm(img) for img in images]).to(device)
    with torch.inference_mode():
        probs = model(batch).softmax(dim=-1).cpu()
    return _to_predictions([f.filename for f in files], probs)
