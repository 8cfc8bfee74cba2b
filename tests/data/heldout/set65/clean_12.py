# Q: "Same image, different prediction when batch size is 1 vs 32?"
# Accepted answer's version of the script: put the net in inference mode before predicting.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(3)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
BATCH_SIZE = 32
EPOCHS = 8

# 32x32 RGB images, 10 classes (cached tensors from the asker's dataset)
train_x = torch.rand(3200, 3, 32, 32)
train_y = torch.randint(0, 10, (3200,))
query_x = torch.rand(17, 3, 32, 32)
query_y = torch.randint(0, 10, (17,))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32, 1e-3)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64, 1e-3, 0.1)
        self.conv3 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64, eps=1e-5, momentum=0.05)
        self.fc = nn.Linear(64 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.max_pool2d(F.relu(self.bn3(self.conv3(x))), 2)
        x = x.permute(0, 2, 3, 1).contiguous().view(x.size(0), -1)
        return self.fc(x)


def fit(model, loader, epochs):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        model.train(True)
        total = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()
        print(f"epoch {epoch}: loss {total / len(loader):.4f}")


@torch.inference_mode()
def predict_one(model, image):
    logits = model(image.unsqueeze(0).to(device))
    return logits.argmax(1).item()


def predict_all(model, loader):
    model.train(mode=False)
    preds = []
    with torch.no_grad():
        for (xb,) in loader:
            preds.append(model(xb.to(device)).argmax(1).cpu())
    return torch.cat(preds)


model = Net().to(device)
train_loader = DataLoader(TensorDataset(train_x, train_y), batch_size=BATCH_SIZE, shuffle=True)
fit(model, train_loader, EPOCHS)

# batch of one vs. batch of 17 now agree
query_loader = DataLoader(TensorDataset(query_x), batch_size=1)
batched = predict_all(model, query_loader)
model.train(False)
single = torch.tensor([predict_one(model, img) for img in query_x])
print("agree:", bool((batched == single).all()), "acc:", (batched == query_y).float().mean().item())

example = torch.rand(1, 3, 32, 32, device=device)
scripted = torch.jit.trace(model, example)
scripted.save("net_traced.pt")
