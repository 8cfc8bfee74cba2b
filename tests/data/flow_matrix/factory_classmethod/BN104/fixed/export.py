import torch

from pkg.factories import ModelFactory


def export(config, checkpoint, path):
    model = ModelFactory.from_config(config)
    model.load_state_dict(torch.load(checkpoint))
    model.eval()
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), path)
