# Keeping BatchNorm frozen while fine-tuning: override train() so that the
# model.train() call in the loop does not switch BN back to training mode.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class FrozenBNResNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.backbone = torchvision.models.resnet18(weights=None)
        self.backbone.fc = nn.Linear(512, num_classes)
        for m in self.backbone.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.requires_grad_(False)
                m.bias.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        for m in self.backbone.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self

    def forward(self, x):
        return self.backbone(x)


torch.manual_seed(0)
model = FrozenBNResNet()
stats_before = model.backbone.bn1.running_mean.clone()
params = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)

model.train()
for step in range(3):
    x = torch.randn(8, 3, 224, 224)
    y = torch.randint(0, 5, (8,))
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()

assert model.training and model.backbone.layer1[0].conv1.training
assert not model.backbone.bn1.training
assert torch.equal(stats_before, model.backbone.bn1.running_mean)
print("BN statistics stayed frozen, loss:", loss.item())
