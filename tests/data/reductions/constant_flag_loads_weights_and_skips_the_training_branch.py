import torch
import torch.nn as nn

LOAD_MODEL = True  # (the script's setting: the weights are loaded, the training branch below does not run)


model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten())
loader = torch.load("loader.pt")
if LOAD_MODEL:
    model.load_state_dict(torch.load("weights.pt"))
else:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:
        model.train()
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.eval()

with torch.no_grad():
    for x, y in loader:
        print((model(x).argmax(1) == y).float().mean())
