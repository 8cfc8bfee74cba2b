import torch.nn as nn
from torchvision.models import resnet18


class ClipAggregator(nn.Module):
    def __init__(self, classes=6):
        super().__init__()
        self.encoder = resnet18(weights="DEFAULT")
        self.encoder.fc = nn.Identity()
        for p in self.encoder.parameters():
            p.requires_grad = False
        self.temporal = nn.GRU(512, 128, batch_first=True)
        self.head = nn.Linear(128, classes)

    def forward(self, clips):
        b, t = clips.shape[:2]
        feats = self.encoder(clips.flatten(0, 1)).view(b, t, -1)
        return self.head(self.temporal(feats)[0][:, -1])
