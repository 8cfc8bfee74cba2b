import torch
from networks import Generator

model = Generator(36)
model.load_state_dict(torch.load("gen.pth"))

for data in test_loader:
    out = model(data["image"])
    save(out)
