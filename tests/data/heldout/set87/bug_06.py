"""Tiny Flask service for the Food-101 ResNet-50 classifier.

    MODEL_PATH=weights/food101_r50.pth gunicorn -w 1 -b 0.0.0.0:8000 serve:app
"""
import io
import logging
import os
import time

import torch
import torch.nn.functional as F
from flask import Flask, jsonify, request
from PIL import Image, UnidentifiedImageError
from torchvision import models, transforms

logging.basicConfig(level=logging.INFO)
log = logging.getLogger("food-api")

MODEL_PATH = os.environ.get("MODEL_PATH", "weights/food101_r50.pth")
CLASSES_PATH = os.environ.get("CLASSES_PATH", "weights/classes.txt")
TOP_K = int(os.environ.get("TOP_K", "5"))
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")

app = Flask(__name__)


def build_model(num_classes):
    net = models.resnet50(weights=None)
    net.fc = torch.nn.Linear(net.fc.in_features, num_classes)
    return net


with open(CLASSES_PATH) as fh:
    CLASSES = [line.strip() for line in fh if line.strip()]

t0 = time.time()
model = build_model(len(CLASSES))
model.load_state_dict(torch.load(MODEL_PATH, map_location=DEVICE))
model.to(DEVICE)
model.eval  # expect: BN102
log.info("model loaded in %.1fs on %s", time.time() - t0, DEVICE)

preprocess = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])


@app.route("/health", methods=["GET"])
def health():
    return jsonify(status="ok", device=str(DEVICE), classes=len(CLASSES))


@app.route("/predict", methods=["POST"])
def predict():
    if "file" not in request.files:
        return jsonify(error="no file field in request"), 400
    raw = request.files["file"].read()
    try:
        img = Image.open(io.BytesIO(raw)).convert("RGB")
    except UnidentifiedImageError:
        return jsonify(error="could not decode image"), 415

    x = preprocess(img).unsqueeze(0).to(DEVICE)
    start = time.perf_counter()
    with torch.no_grad():
        probs = F.softmax(model(x), dim=1)[0]  # expect: BN101
    latency_ms = (time.perf_counter() - start) * 1000

    k = min(TOP_K, len(CLASSES))
    scores, idx = torch.topk(probs, k)
    result = [
        {"label": CLASSES[i], "score": round(float(s), 4)}
        for s, i in zip(scores.tolist(), idx.tolist())
    ]
    return jsonify(predictions=result, latency_ms=round(latency_ms, 2))


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8000")))
