import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(2))

    def forward(self, x):
        return self.body(x)

    def predict_image(self, image):
        return self(image.unsqueeze(0)).argmax(1)


net = Net()
net.load_state_dict(torch.load("w.pt"))
net.eval()
print(net.predict_image(torch.zeros(3, 32, 32)))
