"""3D ResNet-10 for gesture recognition on short RGB clips (Jester-like),
with clip-averaged video-level prediction and ONNX export for the edge box.
"""
import argparse
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from gesture_data import GestureClips  # project-local dataset (frames on disk)


def conv3x3x3(cin, cout, stride=1):
    return nn.Conv3d(cin, cout, 3, stride=stride, padding=1, bias=False)


class BasicBlock3d(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, norm_layer=nn.BatchNorm3d):
        super().__init__()
        self.conv1 = conv3x3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.conv2 = conv3x3x3(planes, planes * self.expansion)
        self.bn2 = norm_layer(planes * self.expansion)
        self.shortcut = nn.Identity()
        if stride != 1 or inplanes != planes * self.expansion:
            self.shortcut = nn.Sequential(
                nn.Conv3d(inplanes, planes * self.expansion, 1, stride=stride, bias=False),
                norm_layer(planes * self.expansion),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet3d10(nn.Module):
    def __init__(self, num_classes, widths=(64, 128, 256, 512), bn_momentum=0.05):
        super().__init__()
        norm = partial(nn.BatchNorm3d, momentum=bn_momentum)
        self.stem = nn.Sequential(
            nn.Conv3d(3, widths[0], (3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False),
            norm(widths[0]), nn.ReLU(inplace=True), nn.MaxPool3d(3, 2, 1))
        stages, cin = [], widths[0]
        for i, w in enumerate(widths):
            stages.append(BasicBlock3d(cin, w, stride=1 if i == 0 else 2, norm_layer=norm))
            cin = w
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(widths[-1], num_classes)

    def forward(self, x):  # (B, 3, T, H, W)
        x = self.stages(self.stem(x))
        return self.fc(F.adaptive_avg_pool3d(x, 1).flatten(1))


@torch.no_grad()
def predict_video(model, clips):
    """clips: (num_clips, 3, T, H, W) sampled from one video -> class id."""
    model.eval()
    probs = model(clips).softmax(dim=-1).mean(0)
    return int(probs.argmax())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/data/jester")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--lr", type=float, default=0.1)
    args = ap.parse_args()

    dev = torch.device("cuda")
    train_set = GestureClips(args.root, "train", frames=16)
    val_set = GestureClips(args.root, "val", frames=16)
    train_dl = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=12,
                          pin_memory=True, drop_last=True)
    val_dl = DataLoader(val_set, batch_size=1, num_workers=4)

    model = ResNet3d10(num_classes=27).to(dev).to(memory_format=torch.channels_last_3d)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)

    for epoch in range(args.epochs):
        model.train()
        for clips, labels in train_dl:
            loss = F.cross_entropy(model(clips.to(dev)), labels.to(dev), label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        sched.step()

        hits = 0
        for multi_clips, label in val_dl:   # one video per batch, several clips each
            hits += int(predict_video(model, multi_clips[0].to(dev)) == int(label))
        print(f"epoch {epoch}: video acc {hits / len(val_set):.4f}")

    model.eval()
    torch.onnx.export(model.cpu(), torch.randn(1, 3, 16, 112, 112), "resnet3d10_jester.onnx",
                      input_names=["clip"], output_names=["logits"], opset_version=17)


if __name__ == "__main__":
    main()
