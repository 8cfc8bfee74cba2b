"""Gradio demo: bird species classifier with top-5 output and
a simple "is this a bird at all" confidence gate.

    python app.py  # then open http://localhost:7860
"""
import json
import os

import gradio as gr
import torch
import torch.nn as nn
from PIL import Image
from torchvision import models, transforms

CKPT = os.environ.get("BIRD_CKPT", "checkpoints/birds_effnet_b3.pth")
CLASSES_FILE = os.environ.get("BIRD_CLASSES", "checkpoints/classes.json")
MIN_CONFIDENCE = 0.25

with open(CLASSES_FILE) as fh:
    CLASSES = json.load(fh)

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def build_classifier(num_classes):
    net = models.efficientnet_b3(weights=None)
    net.classifier = nn.Sequential(
        nn.Dropout(p=0.3, inplace=True),
        nn.Linear(net.classifier[1].in_features, num_classes),
    )
    return net


model = build_classifier(len(CLASSES))
model.load_state_dict(torch.load(CKPT, map_location="cpu"))
model = model.eval().requires_grad_(False).to(device)

preprocess = transforms.Compose([
    transforms.Resize(320, interpolation=transforms.InterpolationMode.BICUBIC),
    transforms.CenterCrop(300),
    transforms.ToTensor(),
    transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
])


@torch.inference_mode()
def classify(image: Image.Image, use_flip: bool):
    if image is None:
        return {}, "Please upload an image."
    x = preprocess(image.convert("RGB")).unsqueeze(0).to(device)
    if use_flip:
        x = torch.cat([x, torch.flip(x, dims=[3])])
    probs = model(x).softmax(dim=1).mean(dim=0)
    top_p, top_i = probs.topk(5)
    labels = {CLASSES[i]: float(p) for p, i in zip(top_p.tolist(), top_i.tolist())}
    if top_p[0] < MIN_CONFIDENCE:
        note = "Low confidence: this may not be one of the supported species."
    else:
        note = f"Most likely: {CLASSES[int(top_i[0])]} ({float(top_p[0]) * 100:.1f}%)"
    return labels, note


demo = gr.Interface(
    fn=classify,
    inputs=[gr.Image(type="pil", label="Photo"), gr.Checkbox(value=True, label="Flip TTA")],
    outputs=[gr.Label(num_top_classes=5, label="Top-5"), gr.Textbox(label="Note")],
    title="Bird species classifier",
    description=f"EfficientNet-B3 fine-tuned on {len(CLASSES)} species.",
    examples=[["examples/robin.jpg", True], ["examples/heron.jpg", False]],
    allow_flagging="never",
)


if __name__ == "__main__":
    demo.queue(max_size=32).launch(server_name="0.0.0.0", server_port=7860)
