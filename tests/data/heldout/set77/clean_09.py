"""DINO self-distillation with a ResNet-18 backbone (single GPU): EMA teacher, multi-crop, centering."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms

OUT_DIM = 4096


class DINOHead(nn.Module):
    def __init__(self, in_dim, out_dim=OUT_DIM, hidden=2048, bottleneck=256):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(in_dim, hidden, bias=False), nn.BatchNorm1d(hidden), nn.GELU(),
            nn.Linear(hidden, hidden, bias=False), nn.BatchNorm1d(hidden), nn.GELU(),
            nn.Linear(hidden, bottleneck),
        )
        self.last = nn.utils.parametrizations.weight_norm(nn.Linear(bottleneck, out_dim, bias=False))

    def forward(self, x):
        return self.last(F.normalize(self.mlp(x), dim=-1))


class MultiCropWrapper(nn.Module):
    def __init__(self, backbone, head):
        super().__init__()
        backbone.fc = nn.Identity()
        self.backbone, self.head = backbone, head

    def forward(self, crops):
        sizes = torch.tensor([c.shape[-1] for c in crops])
        ends = torch.cumsum(torch.unique_consecutive(sizes, return_counts=True)[1], 0)
        start, feats = 0, []
        for end in ends.tolist():
            feats.append(self.backbone(torch.cat(crops[start:end])))
            start = end
        return self.head(torch.cat(feats))


class DINOLoss(nn.Module):
    def __init__(self, n_crops, t_student=0.1, t_teacher=0.04, center_m=0.9):
        super().__init__()
        self.n_crops, self.ts, self.tt, self.cm = n_crops, t_student, t_teacher, center_m
        self.register_buffer("center", torch.zeros(1, OUT_DIM))

    def forward(self, s_out, t_out):
        s = (s_out / self.ts).chunk(self.n_crops)
        t = F.softmax((t_out - self.center) / self.tt, dim=-1).detach().chunk(2)
        loss, n = 0.0, 0
        for i, ti in enumerate(t):
            for j, sj in enumerate(s):
                if i != j:
                    loss = loss + (-ti * F.log_softmax(sj, dim=-1)).sum(-1).mean()
                    n += 1
        self.center.mul_(self.cm).add_(t_out.detach().mean(0, keepdim=True), alpha=1 - self.cm)
        return loss / n


class MultiCrop:
    def __init__(self, n_local=6):
        flip_color = [transforms.RandomHorizontalFlip(), transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
                      transforms.RandomGrayscale(0.2)]
        norm = [transforms.ToTensor(), transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))]
        self.glob = transforms.Compose([transforms.RandomResizedCrop(96, scale=(0.4, 1.0)), *flip_color, *norm])
        self.loc = transforms.Compose([transforms.RandomResizedCrop(48, scale=(0.05, 0.4)), *flip_color, *norm])
        self.n_local = n_local

    def __call__(self, img):
        return [self.glob(img), self.glob(img)] + [self.loc(img) for _ in range(self.n_local)]


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    data = datasets.STL10("./data", split="unlabeled", download=True, transform=MultiCrop())
    loader = DataLoader(data, batch_size=128, shuffle=True, num_workers=10, drop_last=True)

    student = MultiCropWrapper(models.resnet18(), DINOHead(512)).to(device)
    teacher = MultiCropWrapper(models.resnet18(), DINOHead(512)).to(device)
    teacher.load_state_dict(student.state_dict())
    for p in teacher.parameters():
        p.requires_grad = False

    criterion = DINOLoss(n_crops=8).to(device)
    opt = torch.optim.SGD(student.parameters(), lr=0.03 * 128 / 256, momentum=0.9, weight_decay=1e-4)
    epochs = 100
    total, it = epochs * len(loader), 0
    for epoch in range(epochs):
        for crops, _ in loader:
            crops = [c.to(device, non_blocking=True) for c in crops]
            with torch.no_grad():
                t_out = teacher(crops[:2])
            s_out = student(crops)
            loss = criterion(s_out, t_out)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(student.parameters(), 3.0)
            opt.step()

            m = 1 - (1 - 0.996) * (math.cos(math.pi * it / total) + 1) / 2
            with torch.no_grad():
                for ps, pt in zip(student.parameters(), teacher.parameters()):
                    pt.mul_(m).add_(ps.detach(), alpha=1 - m)
            it += 1
        print(f"epoch {epoch}: loss {loss.item():.4f} teacher momentum {m:.5f}")
        torch.save({"student": student.state_dict(), "teacher": teacher.state_dict()}, "dino_r18.pt")


if __name__ == "__main__":
    main()
