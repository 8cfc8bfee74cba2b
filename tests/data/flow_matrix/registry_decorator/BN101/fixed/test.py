import torch

import nets  # noqa: F401  (fills the registry)
from registry import build_model

model = build_model("net", num_classes=10)
model.load_state_dict(torch.load("net.pt"))
model.eval()
images, labels = torch.load("test_batch.pt")
with torch.no_grad():
    accuracy = (model(images).argmax(1) == labels).float().mean()
print(accuracy)
