"""FastAPI service for the keyword-spotting model.

    uvicorn kws_service:app --host 0.0.0.0 --port 8080
"""
import io
import os

import torch
import torch.nn as nn
import torchaudio
from fastapi import FastAPI, File, HTTPException, UploadFile
from pydantic import BaseModel

LABELS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "_silence_", "_unknown_"]
SAMPLE_RATE = 16000
N_MELS = 40


class KWSNet(nn.Module):
    def __init__(self, n_classes=12):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 64, (20, 8), bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 64, (10, 4), bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d((4, 4)),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 4 * 4, 128, bias=False),
            nn.BatchNorm2d(128),  # expect: BN202
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, n_classes),
        )

    def forward(self, x):
        return self.head(self.features(x))


class Prediction(BaseModel):
    label: str
    score: float


class KeywordSpotter:
    def __init__(self, weights_path, device="cpu"):
        self.device = torch.device(device)
        self.model = KWSNet(n_classes=len(LABELS))
        state = torch.load(weights_path, map_location=self.device)
        self.model.load_state_dict(state)
        self.model.to(self.device)
        self.mel = torchaudio.transforms.MelSpectrogram(sample_rate=SAMPLE_RATE, n_mels=N_MELS)

    def predict(self, waveform):
        waveform = waveform.mean(dim=0, keepdim=True)
        feats = self.mel(waveform).clamp(min=1e-6).log().unsqueeze(0)
        with torch.inference_mode():
            logits = self.model(feats.to(self.device))  # expect: BN101
        probs = logits.softmax(dim=-1)[0]
        idx = int(probs.argmax())
        return LABELS[idx], float(probs[idx])


spotter = KeywordSpotter(os.environ.get("KWS_WEIGHTS", "weights/kws_cnn.pt"), device=os.environ.get("KWS_DEVICE", "cpu"))
app = FastAPI(title="keyword-spotting")


@app.post("/predict", response_model=Prediction)
async def predict(file: UploadFile = File(...)):
    data = await file.read()
    try:
        waveform, sr = torchaudio.load(io.BytesIO(data))
    except RuntimeError as exc:
        raise HTTPException(status_code=400, detail=f"could not decode audio: {exc}")
    if sr != SAMPLE_RATE:
        waveform = torchaudio.functional.resample(waveform, sr, SAMPLE_RATE)
    label, score = spotter.predict(waveform)
    return Prediction(label=label, score=score)


@app.get("/labels")
def labels():
    return {"labels": LABELS}
