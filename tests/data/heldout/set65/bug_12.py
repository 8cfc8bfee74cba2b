# Q: "Regression MLP with BatchNorm gives worse validation loss every epoch - why?"
# (code as posted on the forum; housing prices, 13 features)
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

np.random.seed(1)
torch.manual_seed(1)

# 506 rows like the Boston housing data, 404 train / 102 validation
X = np.random.rand(506, 13).astype(np.float32)
y = (X @ np.random.rand(13) * 10 + np.random.randn(506) * 0.5).astype(np.float32)
X = (X - X.mean(0)) / X.std(0)

X_train = torch.from_numpy(X[:404])
y_train = torch.from_numpy(y[:404]).unsqueeze(1)
X_val = torch.from_numpy(X[404:])
y_val = torch.from_numpy(y[404:]).unsqueeze(1)

train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=1, shuffle=True)  # expect: BN301
val_loader = DataLoader(TensorDataset(X_val, y_val), batch_size=34)


class HousingNet(nn.Module):
    def __init__(self, n_in=13):
        super(HousingNet, self).__init__()
        self.fc1 = nn.Linear(n_in, 64, bias=False)
        self.bn1 = nn.BatchNorm1d(64)
        self.fc2 = nn.Linear(64, 32, bias=False)
        self.bn2 = nn.BatchNorm1d(32)
        self.out = nn.Linear(32, 1)
        self.act = nn.ReLU()

    def forward(self, x):
        x = self.act(self.bn1(self.fc1(x)))
        x = self.act(self.bn2(self.fc2(x)))
        return self.out(x)


model = HousingNet()
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)

n_epochs = 100
for epoch in range(n_epochs):
    model.train  # expect: BN102
    train_loss = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        pred = model(xb)
        loss = criterion(pred, yb)
        loss.backward()
        optimizer.step()
        train_loss += loss.item()

    model.eval()  # expect: BN103
    val_loss = 0.0
    with torch.no_grad():
        for xb, yb in val_loader:
            val_loss += criterion(model(xb), yb).item() * xb.size(0)
    val_loss /= len(X_val)

    if epoch % 10 == 0:
        print("epoch {}: train {:.4f}  val {:.4f}".format(epoch, train_loss / len(train_loader), val_loss))

torch.save(model.state_dict(), "housing.pth")

# deploy with TorchScript
deploy_model = HousingNet()
deploy_model.load_state_dict(torch.load("housing.pth"))
example = torch.randn(2, 13)
traced = torch.jit.trace(deploy_model, example)  # expect: BN104
traced.save("housing_traced.pt")
print("saved housing_traced.pt")
