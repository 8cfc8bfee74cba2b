import torch
from torchvision import models

net = models.resnet18(pretrained=True)
print(net)
x = torch.randn(5, 3, 224, 224)
y = net(x)
print(y.shape)

img_tensor = torch.load("cat.pt")
net = net.eval()
logit = net(img_tensor.unsqueeze(0))
print(logit.argmax(1))

x = torch.randn(5, 3, 224, 224)
