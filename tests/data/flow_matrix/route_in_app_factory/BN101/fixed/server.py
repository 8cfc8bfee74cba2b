import torch
from flask import Flask, jsonify, request

from model import load_classifier

model = load_classifier("catfish.pth")
model.eval()


def create_app():
    app = Flask(__name__)

    @app.route("/predict", methods=["POST"])
    def predict():
        image = torch.load(request.files["img"])
        prediction = model(image.unsqueeze(0))
        return jsonify({"label": int(torch.argmax(prediction))})

    return app
