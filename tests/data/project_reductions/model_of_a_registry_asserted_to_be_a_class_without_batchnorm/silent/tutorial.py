import torch
from torch import nn

from zoo import ZooModel, build_model, register_model


@register_model("my_model")
class MyModel(ZooModel):
    def __init__(self, num_classes):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(3, num_classes)

    def forward(self, x):
        return self.fc(self.avgpool(x).flatten(1))


my_model = build_model({"name": "my_model", "num_classes": 3})
assert isinstance(my_model, MyModel)
with torch.no_grad():
    print(my_model(torch.rand((1, 3, 200, 200))))
