import torch
import torch.nn as nn


# (the expert a lip-sync loss is computed with: frozen by requires_grad only, never put in eval)
class SyncNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x))


syncnet = SyncNet()
for p in syncnet.parameters():
    p.requires_grad = False
syncnet.eval()


def get_sync_loss(g):
    return syncnet(g).mean()


def train(model, loader, optimizer, syncnet_wt=0.03):
    for x in loader:
        model.train()
        optimizer.zero_grad()
        g = model(x)
        if syncnet_wt > 0.:
            sync_loss = get_sync_loss(g)
        else:
            sync_loss = 0.
        loss = syncnet_wt * sync_loss + g.abs().mean()
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    model = nn.Conv2d(3, 3, 1)
    train(model, [], torch.optim.SGD(model.parameters(), 0.1))
