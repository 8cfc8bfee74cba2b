"""inference_utils.py: restore a checkpoint written by train.py and run batch predictions.

    python inference_utils.py --ckpt runs/r34_tf/ckpt_best.pth images/*.jpg
"""
import argparse
import glob
import logging
from functools import partial
from typing import Callable, List, Optional

import torch
import torch.nn as nn
from PIL import Image
from torchvision import transforms

logger = logging.getLogger(__name__)

# weights were ported from a TF checkpoint, so BN uses TF's eps; momentum is in PyTorch's convention
TFBatchNorm2d = partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None, norm_layer: Callable[..., nn.Module] = nn.BatchNorm2d):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = norm_layer(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, layers: List[int], num_classes: int = 1000, norm_layer: Callable[..., nn.Module] = TFBatchNorm2d):
        super().__init__()
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, self.inplanes, 7, 2, 3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * BasicBlock.expansion, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * BasicBlock.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * BasicBlock.expansion, 1, stride, bias=False),
                norm_layer(planes * BasicBlock.expansion),
            )
        layers = [BasicBlock(self.inplanes, planes, stride, downsample, norm_layer)]
        self.inplanes = planes * BasicBlock.expansion
        layers.extend(BasicBlock(self.inplanes, planes, norm_layer=norm_layer) for _ in range(1, blocks))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


ARCHS = {"resnet18": [2, 2, 2, 2], "resnet34": [3, 4, 6, 3]}


def load_for_inference(ckpt_path: str, device: str = "cpu") -> nn.Module:
    ckpt = torch.load(ckpt_path, map_location="cpu")
    model = ResNet(ARCHS[ckpt["arch"]], num_classes=ckpt["num_classes"])
    model.load_state_dict(ckpt["state_dict"])
    model.train(False)
    logger.info("restored %s (epoch %d, top1 %.2f)", ckpt["arch"], ckpt["epoch"], ckpt["best_acc1"])
    return model.to(device)


PREPROCESS = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])


def predict_images(model: nn.Module, paths: List[str], device: str = "cpu", batch_size: int = 16):
    results = []
    for start in range(0, len(paths), batch_size):
        chunk = paths[start:start + batch_size]
        batch = torch.stack([PREPROCESS(Image.open(p).convert("RGB")) for p in chunk]).to(device)
        with torch.inference_mode():
            probs = model(batch).softmax(dim=1)
        conf, idx = probs.max(dim=1)
        results.extend(zip(chunk, idx.tolist(), conf.tolist()))
    return results


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", required=True)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("images", nargs="+")
    args = parser.parse_args()

    paths = sorted(p for pattern in args.images for p in glob.glob(pattern))
    net = load_for_inference(args.ckpt, args.device)
    for path, cls, conf in predict_images(net, paths, args.device):
        print(f"{path}\t{cls}\t{conf:.3f}")
