import torch

import lib.nets as nets

model = nets.Net(num_classes=10)
model.load_state_dict(torch.load("weights.pt"))
model.eval()
batch = torch.load("images.pt")
with torch.no_grad():
    predictions = model(batch).argmax(1)
print(predictions)
