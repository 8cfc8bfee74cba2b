import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.fc = nn.Linear(10, width, bias=False)
        self.bn = nn.BatchNorm1d(width)

    def forward(self, x):
        return self.bn(self.fc(x))


MODELS = {name: value for name, value in globals().items() if isinstance(value, type) and issubclass(value, nn.Module)}


def create_model(name, **kwargs):
    model_class = MODELS[name]
    return model_class(**kwargs)


if __name__ == "__main__":
    model = create_model("Encoder", width=32)
    model.load_state_dict(torch.load("encoder.pt"))
    model.eval()
    with torch.no_grad():
        print(model(torch.randn(4, 10)).argmax(1))
