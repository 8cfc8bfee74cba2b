"""Inference-only package: loads trained classifiers for a web service.

Models are never trained here. Every loader puts the model in eval mode
before handing it out, so callers can run it directly; the export helpers
also work on eval-mode models only.
"""
import io
import logging
from typing import List, Sequence

import torch
import torch.nn as nn
import torchvision
from PIL import Image
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torchvision import transforms

log = logging.getLogger(__name__)

_PREPROCESS = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])

ARCHS = {
    "resnet50": torchvision.models.resnet50,
    "mobilenet_v3_large": torchvision.models.mobilenet_v3_large,
    "efficientnet_b0": torchvision.models.efficientnet_b0,
}


def load_model(arch: str, weights_path: str, num_classes: int, device: str = "cpu") -> nn.Module:
    """Build ``arch``, load weights, and return it in eval mode with grads disabled."""
    model = ARCHS[arch](num_classes=num_classes)
    state = torch.load(weights_path, map_location="cpu")
    if "state_dict" in state:
        state = {k.removeprefix("module."): v for k, v in state["state_dict"].items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        log.warning("missing=%s unexpected=%s", missing, unexpected)
    model.eval()
    model.requires_grad_(False)
    return model.to(device)


def fuse_resnet_conv_bn(model: torchvision.models.ResNet) -> torchvision.models.ResNet:
    """Fold every BN of a torchvision ResNet into the preceding conv (CPU latency)."""
    model.eval()
    model.conv1 = fuse_conv_bn_eval(model.conv1, model.bn1)
    model.bn1 = nn.Identity()
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in layer:
            for i in (1, 2, 3):
                conv, bn = getattr(block, f"conv{i}", None), getattr(block, f"bn{i}", None)
                if conv is not None and bn is not None:
                    setattr(block, f"conv{i}", fuse_conv_bn_eval(conv, bn))
                    setattr(block, f"bn{i}", nn.Identity())
            if block.downsample is not None:
                conv, bn = block.downsample[0], block.downsample[1]
                block.downsample = nn.Sequential(fuse_conv_bn_eval(conv, bn))
    return model


class Classifier:
    def __init__(self, arch, weights_path, labels: List[str], device="cpu", fuse=False):
        self.device = device
        self.labels = labels
        self.model = load_model(arch, weights_path, len(labels), device)
        if fuse and arch == "resnet50":
            self.model = fuse_resnet_conv_bn(self.model)

    @torch.inference_mode()
    def predict(self, images: Sequence[Image.Image], topk: int = 5):
        batch = torch.stack([_PREPROCESS(im.convert("RGB")) for im in images]).to(self.device)
        probs = self.model(batch).softmax(dim=-1)
        scores, idx = probs.topk(topk, dim=-1)
        return [
            [(self.labels[j], float(s)) for s, j in zip(row_s.tolist(), row_i.tolist())]
            for row_s, row_i in zip(scores, idx)
        ]

    def predict_bytes(self, payloads: Sequence[bytes], topk: int = 5):
        return self.predict([Image.open(io.BytesIO(p)) for p in payloads], topk)


def export_torchscript(arch, weights_path, num_classes, out_path):
    model = load_model(arch, weights_path, num_classes)
    example = torch.randn(1, 3, 224, 224)
    traced = torch.jit.trace(model, example)
    traced.save(out_path)
    return out_path


def export_onnx(arch, weights_path, num_classes, out_path, opset=17):
    model = load_model(arch, weights_path, num_classes)
    model.eval()  # load_model already does this; be explicit before export
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), out_path, opset_version=opset,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    return out_path


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("weights")
    ap.add_argument("--arch", default="resnet50", choices=sorted(ARCHS))
    ap.add_argument("--labels", default="labels.txt")
    ap.add_argument("--images", nargs="+", required=True)
    args = ap.parse_args()
    with open(args.labels) as f:
        labels = [line.strip() for line in f if line.strip()]
    clf = Classifier(args.arch, args.weights, labels, fuse=True)
    for path, preds in zip(args.images, clf.predict([Image.open(p) for p in args.images])):
        print(path, preds[:3])
