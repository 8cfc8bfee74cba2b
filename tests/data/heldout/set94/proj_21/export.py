"""Export a trained checkpoint to ONNX and TorchScript for serving.

    python export.py --ckpt runs/inat/best.pt --arch resnet50
"""
import argparse

import torch
import torch.nn as nn

from models import create_model


def load_for_inference(arch, num_classes, ckpt_path):
    model = create_model(arch, num_classes)
    state = torch.load(ckpt_path, map_location="cpu")
    # checkpoints come from SyncBN training; keys are identical to plain BN
    model.load_state_dict(state["model"])
    model.eval()
    return model


def check_bn_modes(model):
    bad = [n for n, m in model.named_modules()
           if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training]
    if bad:
        raise RuntimeError(f"BN layers still in training mode: {bad[:5]}")


def benchmark(module, example, warmup=5, iters=50):
    """Rough CPU latency of an inference module (expects eval mode already)."""
    import time
    with torch.inference_mode():
        for _ in range(warmup):
            module(example)
        start = time.perf_counter()
        for _ in range(iters):
            module(example)
    return (time.perf_counter() - start) / iters * 1000.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--arch", default="resnet50")
    ap.add_argument("--num-classes", type=int, default=1010)
    ap.add_argument("--out", default="model")
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()

    model = create_model(args.arch, args.num_classes)
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu")["model"])
    model.eval()
    check_bn_modes(model)
    dummy = torch.randn(1, 3, 224, 224)
    torch.onnx.export(model, dummy, f"{args.out}.onnx", opset_version=args.opset,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    traced = torch.jit.trace(model, dummy)
    traced.save(f"{args.out}.ts")

    reference = load_for_inference(args.arch, args.num_classes, args.ckpt)
    with torch.no_grad():
        diff = (traced(dummy) - reference(dummy)).abs().max().item()
    print(f"eager {benchmark(reference, dummy):.1f} ms, "
          f"torchscript {benchmark(traced, dummy):.1f} ms per image")
    print(f"exported {args.out}.onnx / {args.out}.ts (max diff vs eager {diff:.2e})")


if __name__ == "__main__":
    main()
