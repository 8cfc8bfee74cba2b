# Mean Teacher for semi-supervised CIFAR-10 (course project, 4k labels)
# The teacher is an exponential moving average of the student.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

# pre-processed tensors (cached from torchvision CIFAR10 in an earlier cell)
X_lab = torch.randn(4000, 3, 32, 32)
y_lab = torch.randint(0, 10, (4000,))
X_unl = torch.randn(20000, 3, 32, 32)
X_test = torch.randn(10000, 3, 32, 32)
y_test = torch.randint(0, 10, (10000,))

lab_loader = DataLoader(TensorDataset(X_lab, y_lab), batch_size=64, shuffle=True)
unl_loader = DataLoader(TensorDataset(X_unl), batch_size=128, shuffle=True)
test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=500)


class ConvNet(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.1),
            nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.1),
            nn.MaxPool2d(2), nn.Dropout(0.25),
            nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.1),
            nn.Conv2d(128, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.1),
            nn.MaxPool2d(2), nn.Dropout(0.25),
            nn.AdaptiveAvgPool2d(1),
        )
        self.projector = nn.Sequential(
            nn.Linear(128, 128),
            nn.BatchNorm1d(128, affine=False, momentum=None),
            nn.ReLU(),
        )
        self.classifier = nn.Linear(128, n_classes)

    def forward(self, x):
        h = self.features(x).flatten(1)
        return self.classifier(self.projector(h))


def augment(x):
    flip = torch.rand(x.size(0), 1, 1, 1, device=x.device) < 0.5
    x = torch.where(flip, x.flip(3), x)
    return x + 0.05 * torch.randn_like(x)


@torch.no_grad()
def update_ema(student, teacher, alpha=0.99):
    for ps, pt in zip(student.parameters(), teacher.parameters()):
        pt.mul_(alpha).add_(ps, alpha=1 - alpha)
    for bs, bt in zip(student.buffers(), teacher.buffers()):
        bt.copy_(bs)


student = ConvNet().to(device)
teacher = copy.deepcopy(student)  # not in the optimizer; only updated by update_ema

optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, nesterov=True)
CONS_WEIGHT = 10.0
EPOCHS = 30


def test(model):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in test_loader:
            correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    return correct / len(test_loader.dataset)


for epoch in range(EPOCHS):
    student.train()
    teacher.train()
    for (x_l, y_l), (x_u,) in zip(lab_loader, unl_loader):
        x_l, y_l, x_u = x_l.to(device), y_l.to(device), x_u.to(device)
        x_all = torch.cat([x_l, x_u])
        logits_s = student(augment(x_all))
        with torch.no_grad():
            logits_t = teacher(augment(x_all))
        sup_loss = F.cross_entropy(logits_s[: x_l.size(0)], y_l)
        cons_loss = F.mse_loss(F.softmax(logits_s, 1), F.softmax(logits_t, 1))
        loss = sup_loss + CONS_WEIGHT * cons_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        update_ema(student, teacher)

    acc_s = test(student)
    acc_t = test(teacher)
    print(f"epoch {epoch:2d}  loss {loss.item():.4f}  student {acc_s:.4f}  teacher {acc_t:.4f}")

torch.save(teacher.state_dict(), "mean_teacher.pt")
