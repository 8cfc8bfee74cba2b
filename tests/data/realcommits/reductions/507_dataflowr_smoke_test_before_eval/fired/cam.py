import torch
from torchvision import models

net = models.resnet18(pretrained=True)
print(net)
img = torch.load("dog.pt")
y = net(img)
print(y.argmax(1))

img_tensor = torch.load("cat.pt")
net = net.eval()
logit = net(img_tensor.unsqueeze(0))
print(logit.argmax(1))

x = torch.randn(5, 3, 224, 224)
