"""Mean-Teacher semi-supervised training (Tarvainen & Valpola, 2017).

The teacher is an exponential moving average of the student. As in the
reference implementation, both networks run in training mode during a
training step (noise on both sides); the teacher's forward pass is wrapped
in ``torch.no_grad`` because it only produces consistency targets.
"""
import argparse
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class ConvNet(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.1)]

        self.net = nn.Sequential(
            *block(3, 64), *block(64, 64), nn.MaxPool2d(2), nn.Dropout(0.3),
            *block(64, 128), *block(128, 128), nn.MaxPool2d(2), nn.Dropout(0.3),
            *block(128, 256), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(256, n_classes),
        )

    def forward(self, x):
        return self.net(x)


@torch.no_grad()
def update_teacher(student, teacher, alpha, step):
    alpha = min(1 - 1 / (step + 1), alpha)
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(alpha).add_(s, alpha=1 - alpha)
    for tb, sb in zip(teacher.buffers(), student.buffers()):
        tb.copy_(sb)


def augment(x):
    noise = 0.15 * torch.randn_like(x)
    shift = torch.randint(-2, 3, (2,)).tolist()
    return torch.roll(x + noise, shifts=shift, dims=(2, 3))


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(1)
            correct += (pred == y.to(device)).sum().item()
            total += y.numel()
    return correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--ema", type=float, default=0.99)
    parser.add_argument("--consistency", type=float, default=10.0)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    g = torch.Generator().manual_seed(0)
    labeled = TensorDataset(torch.randn(1000, 3, 32, 32, generator=g), torch.randint(0, 10, (1000,), generator=g))
    unlabeled = TensorDataset(torch.randn(20000, 3, 32, 32, generator=g))
    test = TensorDataset(torch.randn(2000, 3, 32, 32, generator=g), torch.randint(0, 10, (2000,), generator=g))
    lab_loader = DataLoader(labeled, batch_size=32, shuffle=True, drop_last=True)
    unl_loader = DataLoader(unlabeled, batch_size=128, shuffle=True, drop_last=True)
    test_loader = DataLoader(test, batch_size=500)

    student = ConvNet().to(device)
    teacher = copy.deepcopy(student)
    optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=2e-4)

    step = 0
    for epoch in range(args.epochs):
        student.train()
        teacher.train()
        lab_iter = iter(lab_loader)
        for (xu,) in unl_loader:
            try:
                xl, yl = next(lab_iter)
            except StopIteration:
                lab_iter = iter(lab_loader)
                xl, yl = next(lab_iter)
            xl, yl, xu = xl.to(device), yl.to(device), xu.to(device)
            x_all = torch.cat([xl, xu])

            s_logits = student(augment(x_all))
            with torch.no_grad():
                t_logits = teacher(augment(x_all))

            sup = F.cross_entropy(s_logits[: len(xl)], yl)
            cons = F.mse_loss(F.softmax(s_logits, 1), F.softmax(t_logits, 1))
            ramp = min(1.0, epoch / 30)
            loss = sup + args.consistency * ramp * cons

            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            update_teacher(student, teacher, args.ema, step)

        s_acc = evaluate(student, test_loader, device)
        t_acc = evaluate(teacher, test_loader, device)
        print(f"epoch {epoch}: student {s_acc:.4f} teacher {t_acc:.4f}")

    torch.save({"student": student.state_dict(), "teacher": teacher.state_dict()}, "mean_teacher.pt")


if __name__ == "__main__":
    main()
