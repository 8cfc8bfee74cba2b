"""Export the best TN3K checkpoint to ONNX for the ultrasound workstation plugin."""
import sys

import torch

from models import AttU_Net


def export(ckpt_path, onnx_path, size=320, base=32):
    model = AttU_Net(img_ch=1, output_ch=1, base=base)
    model.load_state_dict(torch.load(ckpt_path, map_location="cpu")["model"])
    model.eval()
    dummy = torch.randn(1, 1, size, size)
    torch.onnx.export(model, dummy, onnx_path, opset_version=17, do_constant_folding=True,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    print("wrote", onnx_path)


if __name__ == "__main__":
    export(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "attunet_tn3k.onnx")
