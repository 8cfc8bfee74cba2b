#!/usr/bin/env python
"""Export a trained ECAPA-lite speaker encoder for deployment.

Produces three artefacts from one checkpoint:
  * ONNX graph for the server (dynamic number of frames)
  * TorchScript trace for the Android app
  * a conv+BN fused, dynamically quantised copy for the CPU batch scorer
"""
import argparse
import copy
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.ao.quantization import fuse_modules, quantize_dynamic

FEAT_DIM = 80
CHANNELS = 512
EMB_DIM = 192


class SEBlock(nn.Module):
    def __init__(self, ch, bottleneck=128):
        super().__init__()
        self.fc1 = nn.Conv1d(ch, bottleneck, 1)
        self.fc2 = nn.Conv1d(bottleneck, ch, 1)

    def forward(self, x):
        s = x.mean(dim=2, keepdim=True)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


class TDNNBlock(nn.Module):
    def __init__(self, cin, cout, kernel, dilation):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, kernel, dilation=dilation,
                              padding=dilation * (kernel - 1) // 2, bias=False)
        self.bn = nn.BatchNorm1d(cout, 1e-3)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class AttentiveStatsPool(nn.Module):
    def __init__(self, ch, att=128):
        super().__init__()
        self.att = nn.Sequential(nn.Conv1d(ch, att, 1), nn.Tanh(), nn.Conv1d(att, ch, 1))

    def forward(self, x):
        w = torch.softmax(self.att(x), dim=2)
        mu = (x * w).sum(2)
        sd = ((x ** 2 * w).sum(2) - mu ** 2).clamp(min=1e-5).sqrt()
        return torch.cat([mu, sd], dim=1)


class SpeakerEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = TDNNBlock(FEAT_DIM, CHANNELS, 5, 1)
        self.layer2 = TDNNBlock(CHANNELS, CHANNELS, 3, 2)
        self.layer3 = TDNNBlock(CHANNELS, CHANNELS, 3, 3)
        self.layer4 = TDNNBlock(CHANNELS, CHANNELS, 3, 4)
        self.se = SEBlock(CHANNELS)
        self.mfa = nn.Conv1d(3 * CHANNELS, 1536, 1, bias=False)
        self.mfa_bn = nn.BatchNorm1d(1536, 1e-5, 0.01)
        self.pool = AttentiveStatsPool(1536)
        self.pool_bn = nn.BatchNorm1d(3072)
        self.emb = nn.Linear(3072, EMB_DIM, bias=False)
        self.emb_bn = nn.BatchNorm1d(EMB_DIM, affine=False)

    def forward(self, feats):
        x1 = self.layer1(feats)
        x2 = self.layer2(x1)
        x3 = self.layer3(x2 + x1)
        x4 = self.se(self.layer4(x3 + x2))
        x = F.relu(self.mfa_bn(self.mfa(torch.cat([x2, x3, x4], dim=1))))
        x = self.pool_bn(self.pool(x))
        return self.emb_bn(self.emb(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--out-dir", default="deploy")
    ap.add_argument("--frames", type=int, default=300)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    model = SpeakerEncoder()
    state = torch.load(args.checkpoint, map_location="cpu")
    model.load_state_dict({k.replace("encoder.", "", 1): v for k, v in state["model"].items()
                           if k.startswith("encoder.")})
    model.eval()

    example = torch.randn(2, FEAT_DIM, args.frames)
    torch.onnx.export(
        model, example, os.path.join(args.out_dir, "speaker_encoder.onnx"),
        input_names=["feats"], output_names=["embedding"],
        dynamic_axes={"feats": {0: "batch", 2: "frames"}, "embedding": {0: "batch"}},
        opset_version=17,
    )

    traced = torch.jit.trace(model, example)
    traced.save(os.path.join(args.out_dir, "speaker_encoder.ts"))

    fused = copy.deepcopy(model)
    fused = fuse_modules(fused, [[f"layer{i}.conv", f"layer{i}.bn", f"layer{i}.relu"] for i in range(1, 5)])
    fused = quantize_dynamic(fused, {nn.Linear}, dtype=torch.qint8)
    torch.save(fused, os.path.join(args.out_dir, "speaker_encoder_fused_int8.pt"))

    with torch.no_grad():
        ref = model(example)
        err = (torch.jit.load(os.path.join(args.out_dir, "speaker_encoder.ts"))(example) - ref).abs().max()
        cos = F.cosine_similarity(fused(example), ref).min()
    print(f"trace max abs err {err:.2e}, int8 min cosine {cos:.4f}")


if __name__ == "__main__":
    main()
