import torch

import Model.bilinear

data = torch.load("valid.pt")
bilinear, _, epoch = Model.bilinear.load_model("cpu", "pretrained/10.save")
bilinear.eval()
with torch.set_grad_enabled(False):
    for inputs, targets in data:
        prediction = bilinear(inputs)
        print(torch.dist(prediction, targets).item())
