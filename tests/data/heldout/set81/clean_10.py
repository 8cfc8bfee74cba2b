import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class SmallCNN(nn.Module):
    def __init__(self, n_classes=10, widths=(32, 64, 128)):
        super().__init__()
        chans = (3,) + tuple(widths)
        self.features = nn.Sequential(*[block(a, b) for a, b in zip(chans[:-1], chans[1:])])
        self.head = nn.Linear(widths[-1], n_classes)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))


class MeanTeacher:
    def __init__(self, student, decay=0.999):
        self.student = student
        self.teacher = copy.deepcopy(student).eval()
        for p in self.teacher.parameters():
            p.requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self):
        for t, s in zip(self.teacher.parameters(), self.student.parameters()):
            t.mul_(self.decay).add_(s.detach(), alpha=1 - self.decay)
        for t, s in zip(self.teacher.buffers(), self.student.buffers()):
            t.copy_(s)


def augment(x):
    return x + 0.1 * torch.randn_like(x)


def train_step(mt, opt, x_lab, y_lab, x_unl, w_cons=1.0):
    student = mt.student
    student.train()
    logits_lab = student(augment(x_lab))
    logits_unl = student(augment(x_unl))
    with torch.no_grad():
        target = F.softmax(mt.teacher(augment(x_unl)), dim=-1)
    loss = F.cross_entropy(logits_lab, y_lab)
    loss = loss + w_cons * F.mse_loss(F.softmax(logits_unl, -1), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    mt.update()
    return loss.item()


@torch.no_grad()
def validate(model, x, y):
    was = model.training
    model.eval()
    acc = (model(x).argmax(-1) == y).float().mean().item()
    model.train(was)
    return acc


def main():
    model = SmallCNN()
    mt = MeanTeacher(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    xv, yv = torch.randn(200, 3, 32, 32), torch.randint(0, 10, (200,))
    for step in range(300):
        x_lab = torch.randn(32, 3, 32, 32)
        y_lab = torch.randint(0, 10, (32,))
        x_unl = torch.randn(96, 3, 32, 32)
        loss = train_step(mt, opt, x_lab, y_lab, x_unl)
        if step % 100 == 0:
            print(step, loss, validate(model, xv, yv), validate(mt.teacher, xv, yv))


if __name__ == "__main__":
    main()
