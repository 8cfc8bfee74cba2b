import keras
import numpy as np
import torch
import torch.nn as nn
from pytorch2keras.converter import pytorch_to_keras
from torch.autograd import Variable


class PytorchModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Sequential(nn.Conv2d(1, 2, kernel_size=2, padding=1), nn.BatchNorm2d(2), nn.ReLU())

    def forward(self, x):
        return self.layer1(x)


pytorch_model = PytorchModel()
x_data = np.random.uniform(low=0.0, high=1.0, size=(1, 1, 2, 2))
x = Variable(torch.Tensor(x_data))
pytorch_output = pytorch_model(x)
keras_model = pytorch_to_keras(pytorch_model, x, [(1, None, 2)], verbose=False, names="short")
layer_configs = keras_model.get_config()["layers"]
for cfg in layer_configs:
    if cfg["class_name"] == "BatchNormalization":
        print(cfg["config"]["momentum"])  # 1.0 after conversion; torch default 0.1 <-> keras 0.9
