"""Mean Teacher: is it OK that the teacher runs under no_grad in train mode?

Semi-supervised training (Tarvainen & Valpola) on a tabular fraud dataset with
4k labelled and 200k unlabelled rows. The teacher is an EMA copy of the
student; its predictions are computed under torch.no_grad() inside the
training step and used as consistency targets. BN settings were ported from
our TF code (decay 0.99, epsilon 1e-3). Results look good, but a colleague says
the teacher forward "looks like inference without eval()". Is there an issue?
"""
import copy
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from fraud_data import load_labelled, load_unlabelled, load_test


class FraudNet(nn.Module):
    def __init__(self, in_features=48, hidden=128):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden, 1e-3, 0.01)
        self.fc2 = nn.Linear(hidden, hidden, bias=False)
        self.bn2 = nn.BatchNorm1d(hidden, eps=1e-3, momentum=0.01)
        self.drop = nn.Dropout(0.2)
        self.out = nn.Linear(hidden, 2)

    def forward(self, x):
        x = self.drop(F.relu(self.bn1(self.fc1(x))))
        x = self.drop(F.relu(self.bn2(self.fc2(x))))
        return self.out(x)


@torch.no_grad()
def update_ema(teacher, student, decay=0.999):
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(decay).add_(s, alpha=1 - decay)
    for t, s in zip(teacher.buffers(), student.buffers()):
        t.copy_(s)


def evaluate(model, loader):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += y.numel()
    return correct / total


def main():
    labelled = DataLoader(load_labelled(), batch_size=32, shuffle=True, drop_last=True)
    unlabelled = DataLoader(load_unlabelled(), batch_size=128, shuffle=True, drop_last=True)
    test_loader = DataLoader(load_test(), batch_size=1024)

    student = FraudNet()
    teacher = copy.deepcopy(student)
    optimizer = torch.optim.Adam(student.parameters(), lr=3e-4)

    for epoch in range(30):
        student.train()
        teacher.train()
        for (x_l, y_l), x_u in zip(itertools.cycle(labelled), unlabelled):
            x_all = torch.cat([x_l, x_u])
            noisy = x_all + 0.05 * torch.randn_like(x_all)
            student_logits = student(noisy)
            with torch.no_grad():
                teacher_probs = F.softmax(teacher(x_all), dim=1)
            sup = F.cross_entropy(student_logits[: x_l.size(0)], y_l)
            cons = F.mse_loss(F.softmax(student_logits, dim=1), teacher_probs)
            loss = sup + 10.0 * cons
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            update_ema(teacher, student)
        print(f"epoch {epoch}: loss {loss.item():.4f} "
              f"student {evaluate(student, test_loader):.4f} teacher {evaluate(teacher, test_loader):.4f}")


if __name__ == "__main__":
    main()
