# semi supervised "mean teacher" on sklearn digits - project for ML seminar
# everything in one function, sorry
import copy
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits


def run_everything(n_labeled=200, bs=16, epochs=30, ema_decay=0.99, seed=0):
    torch.manual_seed(seed)
    np.random.seed(seed)
    digits = load_digits()
    X = torch.tensor(digits.data, dtype=torch.float32) / 16.0
    y = torch.tensor(digits.target)
    perm = torch.randperm(len(X))
    X, y = X[perm], y[perm]
    X_test, y_test = X[:300], y[:300]
    X_lab, y_lab = X[300:300 + n_labeled], y[300:300 + n_labeled]
    X_unl = X[300 + n_labeled:]
    print("labeled", len(X_lab), "unlabeled", len(X_unl), "test", len(X_test))

    class Student(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1 = nn.Linear(64, 128, bias=False)
            self.b1 = nn.BatchNorm1d(128)
            self.l2 = nn.Linear(128, 64, bias=False)
            self.b2 = nn.BatchNorm1d(64)
            self.l3 = nn.Linear(64, 10)

        def forward(self, x):
            x = F.relu(self.b1(self.l1(x)))
            x = F.relu(self.b2(self.l2(x)))
            return self.l3(x)

    student = Student()
    teacher = copy.deepcopy(student)
    opt = torch.optim.Adam(student.parameters(), lr=1e-3)

    def accuracy_on_test(net):
        was_training = net.training
        net.eval()
        with torch.no_grad():
            acc = (net(X_test).argmax(1) == y_test).float().mean().item()
        net.train(was_training)
        return acc

    hist_s, hist_t = [], []
    ep = 0
    student.train()
    teacher.train()
    while ep < epochs:
        lab_perm = torch.randperm(len(X_lab))
        unl_perm = torch.randperm(len(X_unl))
        i = 0
        while i + bs <= len(X_lab):
            xb = X_lab[lab_perm[i:i + bs]]
            yb = y_lab[lab_perm[i:i + bs]]
            xu = X_unl[unl_perm[i * 4:i * 4 + 4 * bs]]
            noisy = xu + 0.05 * torch.randn_like(xu)
            with torch.no_grad():
                target = F.softmax(teacher(xu), dim=1)
            sup = F.cross_entropy(student(xb), yb)
            cons = F.mse_loss(F.softmax(student(noisy), dim=1), target)
            loss = sup + 5.0 * cons
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                for pt, ps in zip(teacher.parameters(), student.parameters()):
                    pt.mul_(ema_decay).add_(ps, alpha=1 - ema_decay)
                for bt, bs_ in zip(teacher.buffers(), student.buffers()):
                    bt.copy_(bs_)
            i += bs
        hist_s.append(accuracy_on_test(student))
        hist_t.append(accuracy_on_test(teacher))
        print("epoch", ep, "student", hist_s[-1], "teacher", hist_t[-1], "loss", round(loss.item(), 4))
        ep += 1

    plt.plot(hist_s, label="student")
    plt.plot(hist_t, label="teacher (ema)")
    plt.legend()
    plt.show()

    teacher.eval()
    with torch.no_grad():
        pred = teacher(X_test).argmax(1)
    wrong = (pred != y_test).nonzero().flatten()[:8]
    for k, j in enumerate(wrong):
        plt.subplot(1, 8, k + 1)
        plt.imshow(X_test[j].view(8, 8).numpy(), cmap="gray_r")
        plt.title(f"{pred[j].item()}/{y_test[j].item()}")
        plt.axis("off")
    plt.show()
    return teacher


if __name__ == "__main__":
    model = run_everything()
    torch.save(model.state_dict(), "mean_teacher_digits.pth")
