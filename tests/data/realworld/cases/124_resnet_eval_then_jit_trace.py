import torch
import torchvision

resnet = torchvision.models.resnet18(True)
resnet.eval()
traced_net = torch.jit.trace(resnet, torch.randn((3, 3, 224, 224)))

traced_net.eval()


def check(inp):
    out1 = resnet(inp)
    out2 = traced_net(inp)
    return torch.sum(out1 == out2)


for i in range(5):
    print(check(torch.randn((1, 3, 224, 224))))
for i in range(5):
    print(check(torch.randn((3, 3, 224, 224))))
