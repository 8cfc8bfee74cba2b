"""Feature + logit distillation: frozen ResNet-50 teacher -> MobileNet-style student on CIFAR-100."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms

N_CLASSES = 100


def dw_block(in_c, out_c, stride):
    return nn.Sequential(
        nn.Conv2d(in_c, in_c, 3, stride, 1, groups=in_c, bias=False), nn.BatchNorm2d(in_c, momentum=0.01), nn.ReLU6(True),
        nn.Conv2d(in_c, out_c, 1, bias=False), nn.BatchNorm2d(out_c, momentum=0.01), nn.ReLU6(True),
    )


class Student(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6(True))
        self.body = nn.Sequential(
            dw_block(32, 64, 1), dw_block(64, 128, 2), dw_block(128, 256, 2), dw_block(256, 512, 2),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, N_CLASSES)
        self.adapter = nn.Sequential(nn.Conv2d(512, 2048, 1, bias=False), nn.BatchNorm2d(2048))

    def forward(self, x):
        f = self.body(self.stem(x))
        return self.fc(self.pool(f).flatten(1)), self.adapter(f)


class Teacher(nn.Module):
    def __init__(self):
        super().__init__()
        net = models.resnet50(num_classes=N_CLASSES)
        net.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        net.maxpool = nn.Identity()
        self.features = nn.Sequential(*list(net.children())[:-2])
        self.fc = net.fc

    def forward(self, x):
        f = self.features(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(f, 1), 1)), f


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            logits, _ = model(x.to(device))
            correct += (logits.argmax(1).cpu() == y).sum().item()
            total += y.numel()
    return correct / total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--teacher", default="resnet50_cifar100.pt")
    p.add_argument("--epochs", type=int, default=240)
    p.add_argument("--T", type=float, default=4.0)
    p.add_argument("--beta", type=float, default=50.0)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    mean, std = (0.507, 0.487, 0.441), (0.267, 0.256, 0.276)
    train_tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), transforms.Normalize(mean, std)])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    train_loader = DataLoader(datasets.CIFAR100("./data", train=True, download=True, transform=train_tf),
                              batch_size=64, shuffle=True, num_workers=8)
    test_loader = DataLoader(datasets.CIFAR100("./data", train=False, transform=test_tf), batch_size=1)

    teacher = Teacher().to(device)
    teacher.load_state_dict(torch.load(args.teacher, map_location=device))
    teacher.train(False)
    teacher.requires_grad_(False)
    print(f"teacher accuracy {evaluate(teacher, test_loader, device):.2%}")

    student = Student().to(device)
    opt = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, [150, 180, 210], 0.1)

    for epoch in range(args.epochs):
        student.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            with torch.no_grad():
                t_logits, t_feat = teacher(x)
            s_logits, s_feat = student(x)
            kd = F.kl_div(F.log_softmax(s_logits / args.T, 1), F.softmax(t_logits / args.T, 1),
                          reduction="batchmean") * args.T ** 2
            feat = F.mse_loss(s_feat, F.adaptive_avg_pool2d(t_feat, s_feat.shape[-2:]))
            loss = F.cross_entropy(s_logits, y) + kd + args.beta * feat
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        if epoch % 5 == 0 or epoch == args.epochs - 1:
            print(f"epoch {epoch}: loss {loss.item():.3f} student acc {evaluate(student, test_loader, device):.2%}")
    torch.save(student.state_dict(), "student_kd.pt")


if __name__ == "__main__":
    main()
