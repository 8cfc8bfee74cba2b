# Q: "ONNX output differs from PyTorch output (max abs diff ~0.7)"
#
# I export my trained model to ONNX and compare with onnxruntime. The outputs are
# completely different, the assert_allclose fails with max abs diff around 0.7.
# opset 17, torch 2.1, onnxruntime 1.16. The checkpoint is fine, it gives 94% val acc
# in my training script, and I do set training to False before exporting. Export script:

import argparse

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn


class SmallNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(64, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def to_numpy(t):
    return t.detach().cpu().numpy() if t.requires_grad else t.cpu().numpy()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default="checkpoints/best.pth")
    parser.add_argument("--output", default="smallnet.onnx")
    parser.add_argument("--num-classes", type=int, default=5)
    args = parser.parse_args()

    model = SmallNet(num_classes=args.num_classes)
    state = torch.load(args.checkpoint, map_location="cpu")
    model.load_state_dict(state["model"])
    model.training = False  # expect: BN102

    dummy_input = torch.randn(1, 3, 224, 224)
    torch.onnx.export(model, dummy_input, args.output, input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)  # expect: BN104

    onnx_model = onnx.load(args.output)
    onnx.checker.check_model(onnx_model)
    print("exported", args.output)

    # ---- compare ----
    model.eval()
    x = torch.randn(4, 3, 224, 224)
    with torch.no_grad():
        torch_out = model(x)

    sess = ort.InferenceSession(args.output, providers=["CPUExecutionProvider"])
    ort_out = sess.run(None, {"input": to_numpy(x)})[0]
    print("max abs diff:", np.abs(to_numpy(torch_out) - ort_out).max())
    np.testing.assert_allclose(to_numpy(torch_out), ort_out, rtol=1e-3, atol=1e-5)
    print("ONNX and PyTorch outputs match")


if __name__ == "__main__":
    main()
