import torch
import torch.nn as nn

class Enc(nn.Module):  # the project builds BatchNorm models
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(4)
    def forward(self, x):
        return self.bn(x)

class Wrapper(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
    def forward(self, x):
        return self.encoder(x)

def train(encoder, train_dataloader, valid_dataloader):
    model = Wrapper(encoder)
    op = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(3):
        model.train()
        for j in train_dataloader:
            op.zero_grad()
            model(j).sum().backward()
            op.step()
        model.eval()
        with torch.no_grad():
            for j in valid_dataloader:
                model.train()
                out = model(j)
                print(out.argmax(1))
