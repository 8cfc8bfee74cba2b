"""Flask inference server for the chest X-ray triage model (research prototype)."""
import base64
import io
import logging
import os
import threading

import torch
import torch.nn as nn
from flask import Flask, jsonify, request
from PIL import Image
from torchvision import transforms

log = logging.getLogger("cxr-server")

LABELS = ["normal", "pneumonia", "covid"]


class DenseLayer(nn.Module):
    def __init__(self, cin, growth):
        super().__init__()
        self.bn = nn.BatchNorm2d(cin)
        self.conv = nn.Conv2d(cin, growth, 3, padding=1, bias=False)

    def forward(self, x):
        return torch.cat([x, self.conv(torch.relu(self.bn(x)))], dim=1)


class MiniDenseNet(nn.Module):
    def __init__(self, growth=16, n_layers=6, num_classes=3):
        super().__init__()
        self.stem = nn.Conv2d(1, 32, 7, stride=2, padding=3, bias=False)
        self.stem_bn = nn.BatchNorm2d(32)
        layers, ch = [], 32
        for _ in range(n_layers):
            layers.append(DenseLayer(ch, growth))
            ch += growth
        self.dense = nn.Sequential(*layers)
        self.final_bn = nn.BatchNorm2d(ch)
        self.classifier = nn.Linear(ch, num_classes)

    def forward(self, x):
        x = torch.relu(self.stem_bn(self.stem(x)))
        x = torch.relu(self.final_bn(self.dense(x)))
        return self.classifier(x.mean(dim=(2, 3)))


class Predictor:
    """Owns the model; safe to share between request threads."""

    def __init__(self, weights, device=None):
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = MiniDenseNet(num_classes=len(LABELS))
        self.model.load_state_dict(torch.load(weights, map_location="cpu"))
        self.model.to(self.device)
        self.model.eval()
        self.lock = threading.Lock()
        self.tf = transforms.Compose([
            transforms.Grayscale(),
            transforms.Resize((320, 320)),
            transforms.ToTensor(),
            transforms.Normalize([0.5], [0.25]),
        ])

    def predict(self, images):
        batch = torch.stack([self.tf(im) for im in images]).to(self.device)
        with self.lock, torch.no_grad():
            probs = torch.softmax(self.model(batch), dim=1).cpu()
        return [{lab: round(float(p), 4) for lab, p in zip(LABELS, row)} for row in probs]


app = Flask(__name__)
predictor = Predictor(os.environ.get("CXR_WEIGHTS", "weights/mini_densenet_cxr.pt"))


def decode(item):
    return Image.open(io.BytesIO(base64.b64decode(item))).convert("RGB")


@app.post("/v1/predict")
def predict():
    body = request.get_json(force=True)
    images = [decode(x) for x in body.get("images", [])]
    if not images:
        return jsonify(error="no images"), 400
    return jsonify(results=predictor.predict(images))


@app.post("/v1/reload")
def reload_weights():
    global predictor
    path = request.get_json(force=True).get("weights")
    predictor = Predictor(path)
    log.info("reloaded weights from %s", path)
    return jsonify(status="reloaded", weights=path)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    app.run(host="0.0.0.0", port=8000, threaded=True)
