"""Fine-tune a pretrained backbone on chest X-rays with the first stages frozen.

Frozen stages are frozen completely: no gradient and BatchNorm in eval mode,
so their running statistics stay those of the pretraining data.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


def conv_bn_act(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.GELU(),
    )


class XrayNet(nn.Module):
    def __init__(self, num_findings=14):
        super().__init__()
        self.stem = conv_bn_act(1, 32, 2)
        self.stage1 = nn.Sequential(conv_bn_act(32, 64, 2), conv_bn_act(64, 64))
        self.stage2 = nn.Sequential(conv_bn_act(64, 128, 2), conv_bn_act(128, 128))
        self.stage3 = nn.Sequential(conv_bn_act(128, 256, 2), conv_bn_act(256, 256))
        self.stage4 = nn.Sequential(conv_bn_act(256, 512, 2), conv_bn_act(512, 512))
        self.head = nn.Linear(512, num_findings)

    def stages(self):
        return [self.stem, self.stage1, self.stage2, self.stage3, self.stage4]

    def forward(self, x):
        for stage in self.stages():
            x = stage(x)
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def freeze_stages(model, n):
    for stage in model.stages()[:n]:
        stage.requires_grad_(False)
        stage.eval()


def set_train_mode(model, n_frozen):
    """model.train() for the trainable part; frozen stages stay in eval."""
    model.train()
    for stage in model.stages()[:n_frozen]:
        stage.eval()


def auroc(scores, labels):
    order = scores.argsort(descending=True)
    labels = labels[order]
    pos = labels.sum()
    neg = len(labels) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = torch.arange(1, len(labels) + 1, dtype=torch.float)
    return ((ranks * labels).sum() - pos * (pos + 1) / 2).neg().add(pos * neg).div(pos * neg).item()


def evaluate(model, loader, device):
    model.eval()
    scores, labels = [], []
    with torch.no_grad():
        for x, y in loader:
            scores.append(torch.sigmoid(model(x.to(device))).cpu())
            labels.append(y.float())
    scores, labels = torch.cat(scores), torch.cat(labels)
    per_finding = [auroc(scores[:, k], labels[:, k]) for k in range(scores.shape[1])]
    valid = [a for a in per_finding if a == a]
    return sum(valid) / max(len(valid), 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", default="data/cxr_train.pt")
    p.add_argument("--val", default="data/cxr_val.pt")
    p.add_argument("--pretrained", default="weights/xraynet_selfsup.pt")
    p.add_argument("--frozen", type=int, default=3)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=48)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model = XrayNet().to(device)
    state = torch.load(args.pretrained, map_location=device)
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith("head.")}, strict=False)
    freeze_stages(model, args.frozen)

    train_loader = DataLoader(torch.load(args.train), batch_size=args.batch_size, shuffle=True,
                              drop_last=True, num_workers=6)
    val_loader = DataLoader(torch.load(args.val), batch_size=128, num_workers=4)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4,
                                  weight_decay=1e-2)

    best = 0.0
    for epoch in range(args.epochs):
        set_train_mode(model, args.frozen)
        for x, y in train_loader:
            x, y = x.to(device), y.to(device).float()
            loss = F.binary_cross_entropy_with_logits(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        score = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: loss {loss.item():.4f} mean AUROC {score:.4f}")
        if score > best:
            best = score
            torch.save(model.state_dict(), "weights/xraynet_ft.pt")


if __name__ == "__main__":
    main()
