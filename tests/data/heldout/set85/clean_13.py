"""Export a trained classifier for serving: TorchScript (trace + script) and ONNX."""
import argparse
from pathlib import Path

import torch
import torch.nn as nn


class ConvBNAct(nn.Sequential):
    def __init__(self, cin, cout, k=3, s=1):
        super().__init__(
            nn.Conv2d(cin, cout, k, s, k // 2, bias=False),
            nn.BatchNorm2d(cout),
            nn.SiLU(inplace=True),
        )


class Classifier(nn.Module):
    def __init__(self, num_classes=37):
        super().__init__()
        self.backbone = nn.Sequential(
            ConvBNAct(3, 24, s=2),
            ConvBNAct(24, 48, s=2),
            ConvBNAct(48, 96, s=2),
            ConvBNAct(96, 192, s=2),
            ConvBNAct(192, 384, s=2),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(384, num_classes)

    def forward(self, x):
        return self.fc(self.pool(self.backbone(x)).flatten(1))


def load_for_export(ckpt_path, num_classes):
    model = Classifier(num_classes)
    state = torch.load(ckpt_path, map_location="cpu")
    model.load_state_dict(state["model"] if "model" in state else state)
    model.eval()
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("--num-classes", type=int, default=37)
    ap.add_argument("--out", default="export")
    ap.add_argument("--size", type=int, default=224)
    args = ap.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    model = load_for_export(args.ckpt, args.num_classes)
    example = torch.randn(1, 3, args.size, args.size)

    traced = torch.jit.trace(model, example)
    traced.save(str(out / "classifier_traced.pt"))

    scripted = torch.jit.script(model)
    scripted.save(str(out / "classifier_scripted.pt"))

    torch.onnx.export(
        model,
        example,
        str(out / "classifier.onnx"),
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
    )

    # second model straight from the class, switched with train(False) before torch.export
    fresh = Classifier(args.num_classes)
    fresh.load_state_dict(model.state_dict())
    fresh.train(False)
    exported = torch.export.export(fresh, (example,))
    torch.export.save(exported, str(out / "classifier.pt2"))

    with torch.no_grad():
        ref = model(example)
        assert torch.allclose(ref, traced(example), atol=1e-5)
        assert torch.allclose(ref, scripted(example), atol=1e-5)
    print("exported to", out)


if __name__ == "__main__":
    main()
