import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.Linear(16, 4))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
val_iteration = 1024  # (MixMatch: the iterations of an epoch)
for step in range(val_iteration):
    chunks = torch.split(torch.randn(64, 8), 16)
    logits = [model(chunks[0])]
    for chunk in chunks[1:]:
        logits.append(model(chunk))
    loss = torch.cat(logits).logsumexp(1).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
