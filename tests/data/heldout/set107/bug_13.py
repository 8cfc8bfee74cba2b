"""TorchServe handler for the waste-sorting classifier.

Package with:
    torch-model-archiver --model-name wastenet --version 1.0 \
        --serialized-file wastenet.pth --handler handler.py --extra-files model.py
Run `python handler.py --export-mobile` to produce the .ptl used by the Android demo.
"""
import argparse
import io
import logging
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms
from torch.utils.mobile_optimizer import optimize_for_mobile
from ts.torch_handler.base_handler import BaseHandler

logger = logging.getLogger(__name__)

CLASSES = ["cardboard", "glass", "metal", "paper", "plastic", "trash"]


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand=4):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.block = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        )

    def forward(self, x):
        out = self.block(x)
        return x + out if self.use_res else out


class WasteNet(nn.Module):
    def __init__(self, num_classes=6):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6(inplace=True))
        self.blocks = nn.Sequential(
            InvertedResidual(16, 24, 2),
            InvertedResidual(24, 24, 1),
            InvertedResidual(24, 48, 2),
            InvertedResidual(48, 96, 2),
            InvertedResidual(96, 96, 1),
        )
        self.fc = nn.Linear(96, num_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class WasteNetHandler(BaseHandler):
    image_processing = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])

    def initialize(self, context):
        props = context.system_properties
        model_dir = props.get("model_dir")
        gpu_id = props.get("gpu_id")
        self.device = torch.device(f"cuda:{gpu_id}" if torch.cuda.is_available() and gpu_id is not None else "cpu")
        self.model = WasteNet(num_classes=len(CLASSES))
        state = torch.load(os.path.join(model_dir, "wastenet.pth"), map_location=self.device)
        self.model.load_state_dict(state)
        self.model.to(self.device)
        self.initialized = True
        logger.info("WasteNet loaded on %s", self.device)

    def preprocess(self, data):
        images = []
        for row in data:
            payload = row.get("data") or row.get("body")
            image = Image.open(io.BytesIO(payload)).convert("RGB")
            images.append(self.image_processing(image))
        return torch.stack(images).to(self.device)

    def inference(self, data, *args, **kwargs):
        with torch.no_grad():
            logits = self.model(data)  # expect: BN101
        return logits

    def postprocess(self, data):
        probs = F.softmax(data, dim=1)
        top_p, top_i = probs.max(dim=1)
        return [{"label": CLASSES[i], "probability": round(p, 4)} for p, i in zip(top_p.tolist(), top_i.tolist())]


def export_mobile(weights, out_path):
    model = WasteNet(num_classes=len(CLASSES))
    model.load_state_dict(torch.load(weights, map_location="cpu"))
    example = torch.rand(1, 3, 224, 224)
    traced = torch.jit.trace(model, example)  # expect: BN104
    optimized = optimize_for_mobile(traced)
    optimized._save_for_lite_interpreter(out_path)
    print("wrote", out_path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--export-mobile", action="store_true")
    parser.add_argument("--weights", default="wastenet.pth")
    parser.add_argument("--out", default="wastenet.ptl")
    args = parser.parse_args()
    if args.export_mobile:
        export_mobile(args.weights, args.out)
