"""Export a trained defect-detection classifier to TorchScript and ONNX for deployment,
and check that the exported artefacts agree with the eager model."""
import argparse
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn

INPUT_SIZE = 224
CLASSES = ("ok", "scratch", "dent", "stain")


def stage(c_in, c_out, n):
    layers = []
    for i in range(n):
        layers += [
            nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, stride=2 if i == 0 else 1, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        ]
    return nn.Sequential(*layers)


class DefectNet(nn.Module):
    def __init__(self, num_classes=len(CLASSES)):
        super().__init__()
        self.body = nn.Sequential(stage(3, 32, 2), stage(32, 64, 2), stage(64, 128, 3), stage(128, 256, 3))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        return self.fc(self.pool(self.body(x)).flatten(1))


def load_model(checkpoint: Path, device: torch.device) -> nn.Module:
    state = torch.load(checkpoint, map_location="cpu")
    model = DefectNet()
    model.load_state_dict(state["model"] if "model" in state else state)
    return model.to(device).eval()


@torch.no_grad()
def compare(eager: nn.Module, scripted, onnx_path: Path, example: torch.Tensor) -> None:
    reference = eager(example).cpu().numpy()
    traced_out = scripted(example).cpu().numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    onnx_out = session.run(None, {"image": example.cpu().numpy()})[0]
    for name, out in (("torchscript", traced_out), ("onnx", onnx_out)):
        err = np.abs(out - reference).max()
        print(f"{name:12s} max abs diff {err:.2e}")
        if err > 1e-3:
            raise RuntimeError(f"{name} export diverges from eager model")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--out-dir", type=Path, default=Path("export"))
    parser.add_argument("--opset", type=int, default=17)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)

    device = torch.device("cpu")
    model = load_model(args.checkpoint, device)
    example = torch.randn(4, 3, INPUT_SIZE, INPUT_SIZE, device=device)

    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced = torch.jit.freeze(traced)
    script_path = args.out_dir / "defectnet.ts"
    traced.save(str(script_path))

    onnx_path = args.out_dir / "defectnet.onnx"
    torch.onnx.export(
        model,
        example,
        str(onnx_path),
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=args.opset,
        do_constant_folding=True,
    )

    compare(model, traced, onnx_path, example)
    (args.out_dir / "labels.txt").write_text("\n".join(CLASSES) + "\n")
    print("exported", script_path, onnx_path)


if __name__ == "__main__":
    main()
