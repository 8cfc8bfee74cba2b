"""Flask inference service for the defect classifier.

The TorchScript artefact is produced by the export job and copied into the
container image; it is loaded once at import time so that every gunicorn
worker holds its own copy.
"""
import base64
import io
import json
import logging
import os
import time

import numpy as np
import torch
from flask import Flask, jsonify, request
from PIL import Image, UnidentifiedImageError

logging.basicConfig(level=logging.INFO)
log = logging.getLogger("defect-service")

MODEL_PATH = os.environ.get("MODEL_PATH", "/models/defect_cls_ts.pt")
LABELS_PATH = os.environ.get("LABELS_PATH", "/models/labels.json")
IMG_SIZE = int(os.environ.get("IMG_SIZE", "256"))
MAX_BATCH = int(os.environ.get("MAX_BATCH", "16"))
DEVICE = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

app = Flask(__name__)

with open(LABELS_PATH) as fh:
    LABELS = json.load(fh)

model = torch.jit.load(MODEL_PATH, map_location=DEVICE)
model.eval  # expect: BN102
log.info("loaded %s on %s", MODEL_PATH, DEVICE)


def decode_image(payload):
    raw = base64.b64decode(payload)
    img = Image.open(io.BytesIO(raw)).convert("RGB")
    img = img.resize((IMG_SIZE, IMG_SIZE), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.float32) / 255.0
    arr = (arr - MEAN) / STD
    return torch.from_numpy(arr.transpose(2, 0, 1).copy())


@app.route("/healthz", methods=["GET"])
def healthz():
    return jsonify(status="ok", device=str(DEVICE))


@app.route("/v1/classify", methods=["POST"])
def classify():
    body = request.get_json(silent=True) or {}
    images = body.get("images")
    if not isinstance(images, list) or not images:
        return jsonify(error="expected a non-empty list under 'images'"), 400
    if len(images) > MAX_BATCH:
        return jsonify(error=f"at most {MAX_BATCH} images per request"), 413

    try:
        batch = torch.stack([decode_image(p) for p in images]).to(DEVICE)
    except (ValueError, UnidentifiedImageError) as exc:
        return jsonify(error=f"could not decode image: {exc}"), 400

    t0 = time.perf_counter()
    with torch.no_grad():
        logits = model(batch)
        probs = torch.softmax(logits, dim=1).cpu()
    latency_ms = (time.perf_counter() - t0) * 1000.0

    results = []
    for row in probs:
        conf, idx = row.max(dim=0)
        results.append({
            "label": LABELS[int(idx)],
            "confidence": round(float(conf), 4),
            "defective": LABELS[int(idx)] != "ok",
        })
    log.info("classified %d images in %.1f ms", len(results), latency_ms)
    return jsonify(results=results, latency_ms=round(latency_ms, 2))


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8080")))
