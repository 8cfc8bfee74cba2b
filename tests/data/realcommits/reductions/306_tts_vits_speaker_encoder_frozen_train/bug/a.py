from torch import nn


class SpeakerEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(4)

    def forward(self, x):
        return self.bn(x)


class Vits(nn.Module):
    def __init__(self):
        super().__init__()
        self.speaker_encoder = SpeakerEncoder().train()
        for param in self.speaker_encoder.parameters():
            param.requires_grad = False
        self.dec = nn.Linear(4, 4)

    def forward(self, x):
        return self.dec(x) + self.speaker_encoder(x)

    def train_step(self, batch, criterion):
        out = self.forward(batch)
        return criterion(out)


model = Vits()
opt = __import__("torch").optim.Adam(model.parameters())
for batch in []:
    loss = model.train_step(batch, lambda o: o.sum())
    loss.backward()
    opt.step()
