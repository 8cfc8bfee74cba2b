"""Knowledge distillation: a frozen ResNet-50 teacher into a compact student (Hinton KD + CE)."""
import argparse
import logging

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader

log = logging.getLogger("kd")


class StudentNet(nn.Module):
    def __init__(self, num_classes=200, widths=(32, 64, 128, 256)):
        super().__init__()
        layers, prev = [], 3
        for w in widths:
            layers += [nn.Conv2d(prev, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                       nn.Conv2d(w, w, 3, padding=1, groups=w, bias=False), nn.BatchNorm2d(w),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            prev = w
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(prev, num_classes)

    def forward(self, x):
        return self.classifier(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


def load_teacher(path, num_classes, device):
    teacher = torchvision.models.resnet50(num_classes=num_classes)
    teacher.load_state_dict(torch.load(path, map_location="cpu"))
    teacher.to(device)
    teacher.eval()
    teacher.requires_grad_(False)
    return teacher


class Distiller:
    def __init__(self, teacher, student, optimizer, device, temperature=4.0, alpha=0.9):
        self.teacher, self.student, self.optimizer = teacher, student, optimizer
        self.device, self.T, self.alpha = device, temperature, alpha

    def kd_loss(self, s_logits, t_logits, target):
        soft = F.kl_div(F.log_softmax(s_logits / self.T, dim=1), F.softmax(t_logits / self.T, dim=1),
                        reduction="batchmean") * self.T ** 2
        return self.alpha * soft + (1 - self.alpha) * F.cross_entropy(s_logits, target)

    def train_one_epoch(self, loader, epoch):
        self.student.train()
        for step, (x, y) in enumerate(loader):
            x, y = x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            with torch.no_grad():
                t_logits = self.teacher(x)
            s_logits = self.student(x)
            loss = self.kd_loss(s_logits, t_logits, y)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            if step % 100 == 0:
                agree = (s_logits.argmax(1) == t_logits.argmax(1)).float().mean().item()
                log.info("epoch %d step %d loss %.4f teacher agreement %.3f", epoch, step, loss.item(), agree)

    @torch.no_grad()
    def evaluate(self, model, loader):
        model.eval()
        correct = total = 0
        for x, y in loader:
            correct += (model(x.to(self.device)).argmax(1).cpu() == y).sum().item()
            total += y.numel()
        return correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--teacher", required=True)
    parser.add_argument("--epochs", type=int, default=120)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--num-classes", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    norm = T.Normalize([0.480, 0.448, 0.398], [0.277, 0.269, 0.282])
    train_set = torchvision.datasets.ImageFolder(f"{args.data}/train", T.Compose([
        T.RandomResizedCrop(64, scale=(0.35, 1)), T.RandomHorizontalFlip(), T.ToTensor(), norm]))
    val_set = torchvision.datasets.ImageFolder(f"{args.data}/val", T.Compose([T.ToTensor(), norm]))
    train_loader = DataLoader(train_set, args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(val_set, 512, num_workers=8)

    teacher = load_teacher(args.teacher, args.num_classes, device)
    student = StudentNet(args.num_classes).to(device)
    optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    distiller = Distiller(teacher, student, optimizer, device)

    log.info("teacher accuracy %.4f", distiller.evaluate(teacher, val_loader))
    best = 0.0
    for epoch in range(args.epochs):
        distiller.train_one_epoch(train_loader, epoch)
        scheduler.step()
        acc = distiller.evaluate(student, val_loader)
        log.info("epoch %d student accuracy %.4f", epoch, acc)
        if acc > best:
            best = acc
            torch.save(student.state_dict(), "student_best.pt")
    log.info("best student accuracy %.4f", best)


if __name__ == "__main__":
    main()
