"""Flask endpoint for the license-plate character recogniser.

The model is a TorchScript artefact (`torch.jit.save` output of the release
pipeline); it is loaded once per worker at startup.
"""
import io
import logging
import os
import threading

import numpy as np
import torch
from flask import Flask, jsonify, request
from PIL import Image

logging.basicConfig(level=logging.INFO)
log = logging.getLogger("plate-ocr")

ALPHABET = "-0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # index 0 is the CTC blank
MODEL_FILE = os.environ.get("PLATE_OCR_MODEL", "/opt/models/plate_ocr_ts.pt")
IMG_H, IMG_W = 32, 128

app = Flask(__name__)
_lock = threading.Lock()
_device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
_model = torch.jit.load(MODEL_FILE, map_location=_device)
log.info("plate OCR model loaded from %s", MODEL_FILE)


def preprocess(data):
    img = Image.open(io.BytesIO(data)).convert("L").resize((IMG_W, IMG_H), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.float32) / 255.0
    arr = (arr - 0.5) / 0.5
    return torch.from_numpy(arr)[None, None]


def ctc_greedy_decode(log_probs):
    # log_probs: (T, C)
    best = log_probs.argmax(dim=1).tolist()
    chars, prev = [], 0
    for idx in best:
        if idx != prev and idx != 0:
            chars.append(ALPHABET[idx])
        prev = idx
    return "".join(chars)


@app.get("/ping")
def ping():
    return "pong"


@app.post("/recognise")
def recognise():
    files = request.files.getlist("image")
    if not files:
        return jsonify(error="send one or more files under the 'image' field"), 400

    batch = torch.cat([preprocess(f.read()) for f in files]).to(_device)
    with _lock, torch.no_grad():
        out = _model(batch)                      # (T, N, C) log-probabilities
    out = out.permute(1, 0, 2).cpu()

    results = []
    for f, seq in zip(files, out):
        text = ctc_greedy_decode(seq)
        conf = float(seq.max(dim=1).values.exp().mean())
        results.append({"file": f.filename, "plate": text, "confidence": round(conf, 4)})
    return jsonify(results=results)


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000, threaded=True)
