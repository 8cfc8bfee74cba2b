# Knowledge distillation + EMA: the EMA student scores lower than the raw
# student on the val split. Repro on random data (torch 2.2).
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, update_bn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


def make_net(width=32):
    return nn.Sequential(
        nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
        nn.Conv2d(width, width * 2, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(width * 2), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width * 2, 10),
    )


@torch.no_grad()
def evaluate(net, loader):
    net.eval()
    hits = sum((net(x).argmax(1) == y).sum().item() for x, y in loader)
    return hits / len(loader.dataset)


train_ds = TensorDataset(torch.randn(1024, 3, 32, 32), torch.randint(0, 10, (1024,)))
val_ds = TensorDataset(torch.randn(256, 3, 32, 32), torch.randint(0, 10, (256,)))
train_loader = DataLoader(train_ds, batch_size=64, shuffle=True)
val_loader = DataLoader(val_ds, batch_size=128)

teacher = make_net(64)
teacher.eval()
student = make_net(32)
ema = AveragedModel(student, multi_avg_fn=get_ema_multi_avg_fn(0.999))
opt = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9)

for epoch in range(3):
    student.train()
    for x, y in train_loader:
        with torch.no_grad():
            t_logits = teacher(x)
        s_logits = student(x)
        kd = F.kl_div(F.log_softmax(s_logits / 4, 1), F.softmax(t_logits / 4, 1), reduction="batchmean")
        loss = F.cross_entropy(s_logits, y) + 16 * kd
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema.update_parameters(student)
    print(f"epoch {epoch}: student acc {evaluate(student, val_loader):.3f}")

update_bn(train_loader, ema)
print(f"EMA acc {evaluate(ema, val_loader):.3f}")
