import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from config import CONFIG
from nets import Net

n = CONFIG["num_samples"]
dataset = TensorDataset(torch.randn(n, 3, 32, 32), torch.randint(0, 10, (n,)))
loader = DataLoader(dataset, batch_size=CONFIG["batch_size"], shuffle=True)
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=CONFIG["lr"])
for epoch in range(CONFIG["epochs"]):
    for images, labels in loader:
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
