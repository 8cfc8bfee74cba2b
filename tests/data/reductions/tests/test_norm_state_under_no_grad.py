import torch
import torchvision


@torch.no_grad()  # to save memory
def test_norm_state():
    model = torchvision.models.resnet18()
    model.train()
    out = model(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, 1000)
    assert model.bn1.training
