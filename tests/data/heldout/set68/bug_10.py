"""Export a trained facial-landmark regressor to ONNX and TorchScript.

    python export_landmarks.py --ckpt runs/landmarks/last.ckpt --out-dir export/
"""
import argparse
import json
from pathlib import Path

import torch
import torch.nn as nn

NUM_LANDMARKS = 68
INPUT_SIZE = 112


class ConvBNAct(nn.Sequential):
    def __init__(self, cin, cout, stride=1):
        super().__init__(
            nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.PReLU(cout),
        )


class LandmarkNet(nn.Module):
    def __init__(self, n_points=NUM_LANDMARKS):
        super().__init__()
        self.features = nn.Sequential(
            ConvBNAct(3, 32, stride=2),
            ConvBNAct(32, 32),
            ConvBNAct(32, 64, stride=2),
            ConvBNAct(64, 64),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm1d(128),  # expect: BN202
            nn.PReLU(128),
            ConvBNAct(128, 128, stride=2),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.regressor = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.PReLU(256),
            nn.Linear(256, n_points * 2),
        )

    def forward(self, x):
        return self.regressor(self.pool(self.features(x))).view(-1, NUM_LANDMARKS, 2)


def load_weights(model, ckpt_path):
    ckpt = torch.load(ckpt_path, map_location="cpu")
    state = ckpt.get("state_dict", ckpt)
    state = {k.removeprefix("model."): v for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise RuntimeError(f"checkpoint mismatch: missing={missing} unexpected={unexpected}")
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", required=True)
    parser.add_argument("--out-dir", default="export")
    parser.add_argument("--opset", type=int, default=17)
    args = parser.parse_args()

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)

    model = LandmarkNet()
    load_weights(model, args.ckpt)

    dummy = torch.randn(1, 3, INPUT_SIZE, INPUT_SIZE)
    torch.onnx.export(  # expect: BN104
        model, dummy, str(out / "landmarks.onnx"),
        input_names=["face"], output_names=["landmarks"],
        dynamic_axes={"face": {0: "n"}, "landmarks": {0: "n"}},
        opset_version=args.opset, do_constant_folding=True,
    )

    model.eval()
    example = torch.randn(4, 3, INPUT_SIZE, INPUT_SIZE)
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
        traced = torch.jit.freeze(traced)
        ref = model(example)
        diff = (traced(example) - ref).abs().max().item()
    traced.save(str(out / "landmarks.ts"))

    meta = {
        "input_size": INPUT_SIZE,
        "num_landmarks": NUM_LANDMARKS,
        "opset": args.opset,
        "torchscript_max_abs_diff": diff,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
