# Training crashes at the very last iteration of the first epoch:
#   ValueError: Expected more than 1 value per channel when training, got input size torch.Size([1, 16])
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

NUM_SAMPLES = 1025
NUM_VAL = 256
BATCH_SIZE = 64
torch.manual_seed(0)


class SignalNet(nn.Module):
    def __init__(self, in_ch=6, n_classes=4):
        super().__init__()
        self.conv = nn.Conv1d(in_ch, 32, kernel_size=5, padding=2, bias=False)
        self.bn = nn.BatchNorm1d(32)
        self.fc = nn.Linear(32, 16, bias=False)
        self.bn_fc = nn.BatchNorm1d(16)
        self.out = nn.Linear(16, n_classes)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        x = x.mean(dim=-1)
        x = torch.relu(self.bn_fc(self.fc(x)))
        return self.out(x)


signals = torch.randn(NUM_SAMPLES, 6, 128)
labels = torch.randint(0, 4, (NUM_SAMPLES,))
train_loader = DataLoader(TensorDataset(signals, labels), batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
val_set = TensorDataset(torch.randn(NUM_VAL, 6, 128), torch.randint(0, 4, (NUM_VAL,)))
val_loader = DataLoader(val_set, batch_size=BATCH_SIZE)

model = SignalNet()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
for epoch in range(3):
    model.train()
    for i, (x, y) in enumerate(train_loader):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: last batch shape {tuple(x.shape)}, loss {loss.item():.3f}")

    model.eval()
    with torch.no_grad():
        correct = sum((model(x).argmax(1) == y).sum().item() for x, y in val_loader)
    print(f"val acc {correct / NUM_VAL:.3f}")
