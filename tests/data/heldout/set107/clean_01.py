"""Export the face-embedding network to ONNX and verify it with onnxruntime.

    python export_face_onnx.py --ckpt ckpt/facenet_mobile.pth --out face_embed.onnx
"""
import argparse
import logging

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

logger = logging.getLogger(__name__)

EMBED_DIM = 128


def conv_bn(cin, cout, k=3, s=1, groups=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.PReLU(cout),
    )


class FaceEmbedNet(nn.Module):
    def __init__(self, embed_dim=EMBED_DIM):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(3, 64, s=2),
            conv_bn(64, 64, groups=64),
            conv_bn(64, 128, k=1),
            conv_bn(128, 128, s=2, groups=128),
            conv_bn(128, 256, k=1),
            conv_bn(256, 256, s=2, groups=256),
            conv_bn(256, 512, k=1),
            conv_bn(512, 512, s=2, groups=512),
            conv_bn(512, 512, k=1),
        )
        self.gdc = nn.Conv2d(512, 512, 7, groups=512, bias=False)
        self.gdc_bn = nn.BatchNorm2d(512)
        self.proj = nn.Linear(512, embed_dim, bias=False)
        self.proj_bn = nn.BatchNorm1d(embed_dim)

    def forward(self, x):
        x = self.gdc_bn(self.gdc(self.body(x)))
        x = self.proj_bn(self.proj(x.flatten(1)))
        return F.normalize(x, dim=1)


def load_model(ckpt_path, device="cpu"):
    """Build the network, restore weights and put it in inference mode."""
    model = FaceEmbedNet()
    state = torch.load(ckpt_path, map_location=device)
    model.load_state_dict(state.get("model", state))
    model.eval()
    return model.to(device)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", required=True)
    parser.add_argument("--out", default="face_embed.onnx")
    parser.add_argument("--opset", type=int, default=17)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)

    model = load_model(args.ckpt)
    dummy = torch.randn(2, 3, 112, 112)

    torch.onnx.export(
        model,
        dummy,
        args.out,
        input_names=["face"],
        output_names=["embedding"],
        dynamic_axes={"face": {0: "n"}, "embedding": {0: "n"}},
        opset_version=args.opset,
    )
    onnx.checker.check_model(onnx.load(args.out))

    with torch.no_grad():
        torch_out = model(dummy).numpy()
    sess = ort.InferenceSession(args.out, providers=["CPUExecutionProvider"])
    ort_out = sess.run(None, {"face": dummy.numpy()})[0]
    np.testing.assert_allclose(torch_out, ort_out, rtol=1e-3, atol=1e-5)
    logger.info("ONNX export verified: %s, max diff %.2e", args.out, np.abs(torch_out - ort_out).max())


if __name__ == "__main__":
    main()
