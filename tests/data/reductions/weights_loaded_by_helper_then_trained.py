import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, 4, 3, bias=False)
        self.norm = nn.BatchNorm2d(4)

    def forward(self, x):
        return self.norm(self.conv(x))


def load_checkpoint(model, checkpoint_path):
    model.load_state_dict(torch.load(checkpoint_path))


gen_model = Generator(36)
load_checkpoint(gen_model, "gen.pth")
optimizer = torch.optim.Adam(gen_model.parameters())
for data in loader:
    outputs = gen_model(data["image"].cuda())
    loss = outputs.mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
