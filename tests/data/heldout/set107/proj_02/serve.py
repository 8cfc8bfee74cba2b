"""uvicorn serve:app --workers 2"""
import io
import os

import torch
from fastapi import FastAPI, File, UploadFile
from PIL import Image
from torchvision import transforms

from deploy.checkpoint import load_model

CLASSES = ["full", "partial_gap", "empty"]
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"

model = load_model(os.environ.get("SHELF_CKPT", "runs/shelf/best.pt"), DEVICE)
tf = transforms.Compose([
    transforms.Resize((224, 224)),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])
app = FastAPI(title="shelf-gap")


@app.post("/classify")
async def classify(image: UploadFile = File(...)):
    img = Image.open(io.BytesIO(await image.read())).convert("RGB")
    x = tf(img).unsqueeze(0).to(DEVICE)
    with torch.inference_mode():
        probs = model(x).softmax(dim=1)[0].tolist()
    best = max(range(len(CLASSES)), key=probs.__getitem__)
    return {"label": CLASSES[best], "probs": dict(zip(CLASSES, probs))}
