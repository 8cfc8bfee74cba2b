# ONNX Runtime output differs from PyTorch by up to 3e-4 for this model.
# python export.py [checkpoint.pt]
import sys

import onnxruntime as ort
import torch

from model import build
from utils import max_abs_diff, prepare_for_export

ONNX_PATH = "seq_classifier.onnx"


def main(ckpt=None):
    torch.manual_seed(0)
    model = prepare_for_export(build(ckpt))
    dummy = torch.randint(1, 8000, (1, 50))
    torch.onnx.export(
        model, (dummy,), ONNX_PATH,
        input_names=["tokens"], output_names=["logits"],
        dynamic_axes={"tokens": {0: "batch", 1: "seq"}}, opset_version=17,
    )

    sess = ort.InferenceSession(ONNX_PATH, providers=["CPUExecutionProvider"])
    tokens = torch.randint(1, 8000, (4, 120))
    with torch.no_grad():
        ref = model(tokens)
    (onnx_out,) = sess.run(None, {"tokens": tokens.numpy()})
    print("max abs diff torch vs onnxruntime:", max_abs_diff(ref, onnx_out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
