import torch
import torchvision


def forward(model, inputs):
    if model.training:
        scores = model(inputs)
    else:
        with torch.no_grad():
            scores = model(inputs)
    return scores


def predict(model, inputs):
    with torch.no_grad():
        return model(inputs).argmax(1)


net = torchvision.models.resnet18()
forward(net, torch.randn(2, 3, 224, 224))
predict(net, torch.randn(2, 3, 224, 224))
