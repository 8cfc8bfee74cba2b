# export_churn_model.py
# Converts the churn MLP to TorchScript so the Android app can run it with PyTorch Mobile.
import argparse
import json
import os
from collections import OrderedDict

import torch
from torch import nn


class ChurnMLP(nn.Module):
    def __init__(self, n_features=42, n_classes=2):
        super().__init__()
        self.net = nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(n_features, 256, bias=False)),
            ("bn1", nn.BatchNorm1d(256)),
            ("act1", nn.ReLU()),
            ("drop1", nn.Dropout(0.2)),
            ("fc2", nn.Linear(256, 128)),  # expect: BN204
            ("bn2", nn.BatchNorm1d(128)),
            ("act2", nn.ReLU()),
            ("drop2", nn.Dropout(0.2)),
            ("fc3", nn.Linear(128, n_classes)),
        ]))

    def forward(self, x):
        return self.net(x)


def load_for_export(path):
    payload = torch.load(path, map_location="cpu")
    model = ChurnMLP(n_features=payload["n_features"], n_classes=payload.get("n_classes", 2))
    model.load_state_dict(payload["state_dict"])
    model.eval  # expect: BN102
    return model, payload


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="artifacts/churn_mlp.pth")
    ap.add_argument("--out-dir", default="android/app/src/main/assets")
    args = ap.parse_args()

    model, payload = load_for_export(args.ckpt)
    scripted = torch.jit.script(model)

    os.makedirs(args.out_dir, exist_ok=True)
    scripted.save(os.path.join(args.out_dir, "churn_mlp.pt"))

    # the app needs the scaler statistics to normalise features the same way as training
    with open(os.path.join(args.out_dir, "churn_scaler.json"), "w") as fh:
        json.dump({"mean": payload["scaler_mean"], "scale": payload["scaler_scale"], "features": payload["feature_names"]}, fh)
    print("exported to", args.out_dir)


if __name__ == "__main__":
    main()
