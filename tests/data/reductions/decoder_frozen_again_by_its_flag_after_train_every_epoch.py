import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self._encoder = nn.Linear(4, 4)
        self._decoder = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))

    def forward(self, x):
        return self._decoder(self._encoder(x))


if __name__ == "__main__":
    global_step = 0
    frozen = False
    freeze_step = 40
    vae = Net()
    opt = torch.optim.Adam(vae.parameters())
    for epoch in range(200):
        vae.train()
        if frozen:
            vae._decoder.eval()
        for images in range(10):
            if global_step == freeze_step:
                frozen = True
                vae._decoder.requires_grad_(False)
                vae._decoder.eval()
            loss = vae(images).mean()
            loss.backward()
            opt.step()
            global_step += 1
