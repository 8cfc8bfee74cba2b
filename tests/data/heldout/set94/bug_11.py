"""Knowledge distillation: a large frozen teacher supervises a compact student.

Callbacks get notified on epoch boundaries; the student is exported to ONNX
at the end of training.
"""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def make_stage(cin, cout, n):
    layers = []
    for i in range(n):
        layers += [
            nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        ]
    layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class TeacherNet(nn.Module):
    def __init__(self, num_classes=100):
        super().__init__()
        self.features = nn.Sequential(
            make_stage(3, 128, 3), make_stage(128, 256, 3), make_stage(256, 512, 3))
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


class StudentNet(nn.Module):
    def __init__(self, num_classes=100):
        super().__init__()
        self.features = nn.Sequential(
            make_stage(3, 32, 1), make_stage(32, 64, 2), make_stage(64, 128, 2))
        self.head = nn.Sequential(OrderedDict([
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flat", nn.Flatten()),
            ("fc1", nn.Linear(128, 256, bias=False)),
            ("bn1", nn.BatchNorm1d(128)),  # expect: BN201
            ("act", nn.ReLU(inplace=True)),
            ("drop", nn.Dropout(0.1)),
            ("fc2", nn.Linear(256, num_classes)),
        ]))

    def forward(self, x):
        return self.head(self.features(x))


class Callback:
    def on_epoch_end(self, trainer, epoch, metrics):
        pass


class PrintMetrics(Callback):
    def on_epoch_end(self, trainer, epoch, metrics):
        print(f"epoch {epoch}: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))


class SaveBest(Callback):
    def __init__(self, path, key="acc"):
        self.path, self.key, self.best = path, key, -1.0

    def on_epoch_end(self, trainer, epoch, metrics):
        if metrics[self.key] > self.best:
            self.best = metrics[self.key]
            torch.save(trainer.student.state_dict(), self.path)


class DistillTrainer:
    def __init__(self, teacher, student, loaders, epochs=60, T=4.0, alpha=0.9,
                 callbacks=(), device="cuda"):
        self.device = device
        self.teacher = teacher.to(device)
        self.teacher.training = False  # expect: BN102
        self.student = student.to(device)
        self.loaders = loaders
        self.epochs, self.T, self.alpha = epochs, T, alpha
        self.callbacks = list(callbacks)
        self.optimizer = torch.optim.SGD(self.student.parameters(), lr=0.05,
                                         momentum=0.9, weight_decay=5e-4)
        self.scheduler = torch.optim.lr_scheduler.MultiStepLR(
            self.optimizer, milestones=[30, 45], gamma=0.1)

    def distill_loss(self, s_logits, t_logits, target):
        soft = F.kl_div(F.log_softmax(s_logits / self.T, dim=1),
                        F.softmax(t_logits / self.T, dim=1),
                        reduction="batchmean") * self.T ** 2
        hard = F.cross_entropy(s_logits, target)
        return self.alpha * soft + (1 - self.alpha) * hard

    def train_epoch(self):
        self.student.train()
        total = 0.0
        for x, y in self.loaders["train"]:
            x, y = x.to(self.device), y.to(self.device)
            with torch.no_grad():
                t_logits = self.teacher(x)
            loss = self.distill_loss(self.student(x), t_logits, y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += loss.item()
        self.scheduler.step()
        return total / len(self.loaders["train"])

    @torch.no_grad()
    def validate(self):
        self.student.eval()
        correct = n = 0
        for x, y in self.loaders["test"]:
            pred = self.student(x.to(self.device)).argmax(1).cpu()
            correct += (pred == y).sum().item()
            n += y.numel()
        return correct / n

    def fit(self):
        for epoch in range(self.epochs):
            metrics = {"loss": self.train_epoch(), "acc": self.validate()}
            for cb in self.callbacks:
                cb.on_epoch_end(self, epoch, metrics)

    def export(self, path):
        self.student.eval()
        dummy = torch.randn(1, 3, 32, 32, device=self.device)
        torch.onnx.export(self.student, dummy, path, input_names=["image"],
                          output_names=["logits"], opset_version=17,
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})


if __name__ == "__main__":
    norm = transforms.Normalize((0.507, 0.487, 0.441), (0.267, 0.256, 0.276))
    train_tf = transforms.Compose([transforms.RandomCrop(32, 4), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    test_tf = transforms.Compose([transforms.ToTensor(), norm])
    loaders = {
        "train": DataLoader(datasets.CIFAR100("data", True, train_tf, download=True),
                            batch_size=128, shuffle=True, num_workers=4, drop_last=True),
        "test": DataLoader(datasets.CIFAR100("data", False, test_tf, download=True),
                           batch_size=512, num_workers=4),
    }
    teacher = TeacherNet()
    teacher.load_state_dict(torch.load("teacher_cifar100.pt", map_location="cpu"))
    trainer = DistillTrainer(teacher, StudentNet(), loaders,
                             callbacks=[PrintMetrics(), SaveBest("student_best.pt")])
    trainer.fit()
    trainer.export("student.onnx")
