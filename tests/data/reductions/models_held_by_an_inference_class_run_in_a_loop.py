import torch
from functools import partial
from torchvision import models


class UNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = models.vgg16_bn().features

    def forward(self, x):
        return self.enc(x)


def read_model(path):
    model = UNet()
    model.load_state_dict(torch.load(path))
    return model


class InferenceModel:
    def __init__(self, models):
        self.models = models
        self.flips = [lambda x: x, partial(torch.flip, dims=[-1])]

    def __call__(self, x, y):
        for i, preds in enumerate(self.infer(x)):
            yield preds

    def infer(self, x):
        for model in self.models:
            for flip in self.flips:
                with torch.no_grad():
                    logits = model(flip(x))
                    yield torch.sigmoid(flip(logits)).detach()


def predict_masks(dl, models=[]):
    mp = InferenceModel(models)
    out = []
    for x, y in iter(dl):
        for p in mp(x, y):
            out.append(p)
    return out


def main():
    models = [read_model(f"weights/fold{i}.pt") for i in range(5)]
    preds = predict_masks([], models=models)


if __name__ == '__main__':
    main()
