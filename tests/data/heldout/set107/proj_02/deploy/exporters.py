"""Format-specific export helpers. They expect a model already in eval mode."""
from pathlib import Path

import torch
from torch.export import Dim


def export_onnx(model, example, path, opset=17):
    path = Path(path)
    torch.onnx.export(model, example, str(path), input_names=["image"], output_names=["logits"], opset_version=opset, dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    return path


def export_program(model, example, path, max_batch=64):
    batch = Dim("batch", min=1, max=max_batch)
    program = torch.export.export(model, (example,), dynamic_shapes=({0: batch},))
    torch.export.save(program, str(path))
    return Path(path)


def export_torchscript(model, example, path):
    traced = torch.jit.trace(model, example)
    torch.jit.save(traced, str(path))
    return Path(path)
