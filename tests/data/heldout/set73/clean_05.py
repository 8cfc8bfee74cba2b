"""Score a held-out test set for the skin-lesion challenge with test-time
augmentation and temperature calibration."""
import argparse
import csv
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class LesionNet(nn.Module):
    def __init__(self, num_classes=7):
        super().__init__()

        def stage(cin, cout):
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.SiLU(),
                nn.Conv2d(cout, cout, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.SiLU(),
            )

        self.body = nn.Sequential(stage(3, 48), stage(48, 96), stage(96, 192), stage(192, 384))
        self.fc = nn.Linear(384, num_classes)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.body(x), 1).flatten(1))


def load_for_inference(ckpt_path, device):
    model = LesionNet()
    state = torch.load(ckpt_path, map_location="cpu")
    model.load_state_dict(state["model"] if "model" in state else state)
    model.to(device)
    model.eval()
    return model


def predict_logits(model, loader, device, flip=False):
    outs = []
    with torch.no_grad():
        for images, _ in loader:
            images = images.to(device)
            if flip:
                images = torch.flip(images, dims=[3])
            outs.append(model(images).float().cpu())
    return torch.cat(outs)


def predict_tta(model, loader, device):
    return 0.5 * (predict_logits(model, loader, device)
                  + predict_logits(model, loader, device, flip=True))


def fit_temperature(logits, labels, iters=200):
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=iters)

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    opt.step(closure)
    return log_t.exp().item()


def labels_of(loader):
    return torch.cat([y for _, y in loader])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpts", type=Path, nargs="+", required=True)
    p.add_argument("--calib", default="data/isic_calib.pt")
    p.add_argument("--test", default="data/isic_test.pt")
    p.add_argument("--out", type=Path, default=Path("submission.csv"))
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    calib_loader = DataLoader(torch.load(args.calib), batch_size=64, num_workers=4)
    test_loader = DataLoader(torch.load(args.test), batch_size=64, num_workers=4)

    calib_logits, test_logits = 0.0, 0.0
    for ckpt in args.ckpts:
        model = load_for_inference(ckpt, device)
        calib_logits = calib_logits + predict_tta(model, calib_loader, device)
        test_logits = test_logits + predict_tta(model, test_loader, device)
        del model
    calib_logits = calib_logits / len(args.ckpts)
    test_logits = test_logits / len(args.ckpts)

    temperature = fit_temperature(calib_logits, labels_of(calib_loader))
    probs = F.softmax(test_logits / temperature, dim=1)
    print(f"temperature {temperature:.3f}; calib acc "
          f"{(calib_logits.argmax(1) == labels_of(calib_loader)).float().mean():.4f}")

    with open(args.out, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["index"] + [f"p{c}" for c in range(probs.shape[1])])
        for i, row in enumerate(probs.tolist()):
            writer.writerow([i] + [f"{v:.6f}" for v in row])
    print(f"wrote {len(probs)} rows to {args.out}")


if __name__ == "__main__":
    main()
