import torch
import torch.nn as nn
import torch.utils.model_zoo as model_zoo
from torchvision.models.resnet import BasicBlock

model_urls = {"resnet18": "https://download.pytorch.org/models/resnet18-5c106cde.pth"}


def _freeze_module(module):
    for param in module.parameters():
        param.requires_grad = False


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=2):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(*[block(64, 64) for _ in range(layers[0])])
        self.out_mask = nn.Conv2d(64, num_classes, 1)
        # Freeze first layers
        _freeze_module(self.conv1)
        _freeze_module(self.bn1)
        _freeze_module(self.layer1)

    def forward(self, x):
        x = self.layer1(self.relu(self.bn1(self.conv1(x))))
        return {"mask": self.out_mask(x)}


def setup_css(pretrained=False, model_path=None, mode="train"):
    model = ResNet(BasicBlock, [2, 2, 2, 2])
    if pretrained:
        model.load_state_dict(model_zoo.load_url(model_urls["resnet18"]), strict=False)
    if model_path:
        model.load_state_dict(torch.load(model_path), strict=True)
    if mode == "train":
        model.train()
    elif mode == "eval":
        model.eval()
    return model


def train_css(cfgp, trainloader, epochs=1000, lr=1e-4):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    css_net = setup_css(pretrained=True, model_path=cfgp.get("css_path")).to(device)
    optimizer = torch.optim.Adam(css_net.parameters(), lr=lr)
    criterion_ce = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        for batch_idx, batch in enumerate(trainloader):
            optimizer.zero_grad()
            pred_css = css_net(batch["rgb"].to(device))
            loss = criterion_ce(pred_css["mask"], batch["mask"].to(device).long())
            loss.backward()
            optimizer.step()
