"""Downstream evaluation of a self-supervised ResNet-50 checkpoint.

  --mode linear    frozen backbone (eval mode, no grads) + linear classifier
  --mode finetune  full fine-tuning with frozen BatchNorm statistics/affine
                   (small-batch transfer to Oxford-IIIT Pets)
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader


def load_ssl_backbone(path):
    backbone = torchvision.models.resnet50()
    backbone.fc = nn.Identity()
    state = torch.load(path, map_location="cpu")["state_dict"]
    state = {k.replace("module.base_encoder.", ""): v for k, v in state.items()
             if k.startswith("module.base_encoder.") and ".fc." not in k}
    msg = backbone.load_state_dict(state, strict=False)
    print("missing keys:", msg.missing_keys)
    return backbone


class FineTuneNet(nn.Module):
    def __init__(self, backbone, num_classes, freeze_bn=True):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(2048, num_classes)
        self.freeze_bn = freeze_bn

    def train(self, mode=True):
        super().train(mode)
        if mode and self.freeze_bn:
            for m in self.backbone.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
                    m.weight.requires_grad = False
                    m.bias.requires_grad = False
        return self

    def forward(self, x):
        return self.head(self.backbone(x))


@torch.inference_mode()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for x, y in loader:
        logits = model(x.to(device))
        correct += (logits.argmax(-1).cpu() == y).sum().item()
        total += y.size(0)
    return 100.0 * correct / total


def run_linear(backbone, train_loader, test_loader, device, epochs, num_classes):
    backbone.eval()
    backbone.requires_grad_(False)
    clf = nn.Linear(2048, num_classes).to(device)
    clf.weight.data.normal_(0, 0.01)
    clf.bias.data.zero_()
    opt = torch.optim.SGD(clf.parameters(), lr=30.0, momentum=0.9, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    for epoch in range(epochs):
        clf.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            with torch.no_grad():
                feats = backbone(x)
            loss = F.cross_entropy(clf(feats), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        acc = evaluate(nn.Sequential(backbone, clf), test_loader, device)
        print(f"[linear] epoch {epoch}: top1 {acc:.2f}")


def run_finetune(backbone, train_loader, test_loader, device, epochs, num_classes):
    model = FineTuneNet(backbone, num_classes, freeze_bn=True).to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4)
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
        acc = evaluate(model, test_loader, device)
        print(f"[finetune] epoch {epoch}: top1 {acc:.2f}")
    torch.save(model.state_dict(), "pets_finetuned.pth")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--mode", choices=["linear", "finetune"], default="linear")
    ap.add_argument("--data", default="data")
    ap.add_argument("--epochs", type=int, default=90)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()
    device = torch.device("cuda")

    norm = T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    train_tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), norm])
    test_tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), norm])
    train_set = torchvision.datasets.OxfordIIITPet(args.data, "trainval", transform=train_tf, download=True)
    test_set = torchvision.datasets.OxfordIIITPet(args.data, "test", transform=test_tf, download=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=1, shuffle=False, num_workers=8)

    backbone = load_ssl_backbone(args.ckpt).to(device)
    if args.mode == "linear":
        run_linear(backbone, train_loader, test_loader, device, args.epochs, 37)
    else:
        run_finetune(backbone, train_loader, test_loader, device, args.epochs // 3, 37)


if __name__ == "__main__":
    main()
