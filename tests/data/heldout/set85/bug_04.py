"""export_onnx.py -- convert the face-landmark checkpoint to ONNX for the mobile app."""
import sys

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F


class LandmarkNet(nn.Module):
    def __init__(self, n_points=68):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.conv3 = nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)  # expect: BN201
        self.conv4 = nn.Conv2d(128, 128, 3, stride=2, padding=1, bias=False)
        self.bn4 = nn.BatchNorm2d(128)
        self.fc = nn.Linear(128 * 7 * 7, n_points * 2)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        x = F.relu(self.bn4(self.conv4(x)))
        return self.fc(torch.flatten(x, 1))


def main(ckpt_path, out_path="landmarks.onnx"):
    model = LandmarkNet()
    state = torch.load(ckpt_path, map_location="cpu")
    model.load_state_dict(state["model_state"])

    dummy = torch.randn(1, 3, 112, 112)
    torch.onnx.export(  # expect: BN104
        model,
        dummy,
        out_path,
        input_names=["face"],
        output_names=["landmarks"],
        opset_version=13,
        do_constant_folding=True,
    )
    onnx.checker.check_model(onnx.load(out_path))
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main(*sys.argv[1:])
