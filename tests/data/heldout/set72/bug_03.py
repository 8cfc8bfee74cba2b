"""Export a CRNN text-line recogniser to ONNX and check it with onnxruntime.

    python bug_03.py --ckpt crnn_best.pt --out crnn.onnx --height 32 --width 256
"""
import argparse

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn

CHARSET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-.:/ "


def conv_block(in_ch, out_ch, pool):
    layers = [nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(pool))
    return layers


class CRNN(nn.Module):
    def __init__(self, num_classes=len(CHARSET) + 1, hidden=256):
        super().__init__()
        self.cnn = nn.Sequential(
            *conv_block(1, 64, (2, 2)),
            *conv_block(64, 128, (2, 2)),
            *conv_block(128, 256, None),
            *conv_block(256, 256, (2, 1)),
            *conv_block(256, 512, None),
            *conv_block(512, 512, (2, 1)),
        )
        self.rnn = nn.LSTM(512 * 2, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(2 * hidden, num_classes)

    def forward(self, x):                      # (N, 1, 32, W)
        f = self.cnn(x)                        # (N, 512, 2, W/4)
        f = f.flatten(1, 2).permute(0, 2, 1)   # (N, W/4, 1024)
        out, _ = self.rnn(f)
        return self.fc(out).log_softmax(-1)    # (N, T, classes)


def greedy_decode(log_probs: np.ndarray) -> list[str]:
    texts = []
    for seq in log_probs.argmax(-1):
        chars, prev = [], 0
        for idx in seq:
            if idx != prev and idx != 0:
                chars.append(CHARSET[idx - 1])
            prev = idx
        texts.append("".join(chars))
    return texts


def load_checkpoint(path: str) -> CRNN:
    model = CRNN()
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["model"] if "model" in state else state)
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", required=True)
    parser.add_argument("--out", default="crnn.onnx")
    parser.add_argument("--height", type=int, default=32)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--atol", type=float, default=1e-3)
    args = parser.parse_args()

    model = load_checkpoint(args.ckpt)
    model.eval  # expect: BN102
    dummy = torch.rand(4, 1, args.height, args.width)

    torch.onnx.export(model, dummy, args.out,  # expect: BN104
                      input_names=["image"], output_names=["log_probs"], opset_version=args.opset,
                      dynamic_axes={"image": {0: "batch", 3: "width"}, "log_probs": {0: "batch", 1: "time"}})
    print(f"exported {args.out}")

    session = ort.InferenceSession(args.out, providers=["CPUExecutionProvider"])
    onnx_out = session.run(None, {"image": dummy.numpy()})[0]
    with torch.no_grad():
        torch_out = model(dummy).numpy()  # expect: BN101
    max_err = float(np.abs(onnx_out - torch_out).max())
    print(f"max |onnx - torch| = {max_err:.2e}")
    if max_err > args.atol:
        raise SystemExit("ONNX output does not match PyTorch output")
    print("decoded sample:", greedy_decode(onnx_out)[:2])


if __name__ == "__main__":
    main()
