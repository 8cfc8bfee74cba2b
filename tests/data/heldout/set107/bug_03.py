"""Minimal Flask API for the flower classifier.

    curl -F "file=@rose.jpg" http://localhost:5000/predict
"""
import io
import os

import torch
import torch.nn as nn
from flask import Flask, jsonify, request
from PIL import Image
from torchvision import transforms

CLASSES = ["daisy", "dandelion", "rose", "sunflower", "tulip"]
WEIGHTS = os.environ.get("MODEL_WEIGHTS", "weights/flower_cnn.pt")


class FlowerCNN(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),  # expect: BN201
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.3),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


app = Flask(__name__)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

model = FlowerCNN(num_classes=len(CLASSES))
model.load_state_dict(torch.load(WEIGHTS, map_location=device))
model.to(device)

preprocess = transforms.Compose([
    transforms.Resize(160),
    transforms.CenterCrop(128),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])


@app.route("/predict", methods=["POST"])
def predict():
    if "file" not in request.files:
        return jsonify({"error": "missing 'file' field"}), 400
    img = Image.open(io.BytesIO(request.files["file"].read())).convert("RGB")
    tensor = preprocess(img).unsqueeze(0).to(device)
    with torch.no_grad():
        outputs = model(tensor)  # expect: BN101
    probs = torch.softmax(outputs, dim=1)[0]
    top_p, top_i = probs.topk(3)
    return jsonify({
        "predictions": [
            {"label": CLASSES[i], "score": round(float(p), 4)}
            for p, i in zip(top_p.tolist(), top_i.tolist())
        ]
    })


@app.route("/health")
def health():
    return jsonify(status="ok", device=str(device))


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", 5000)))
