"""Feature distillation for image retrieval: a frozen teacher embedding
network supervises a compact student, which is exported to ONNX."""
import argparse
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


def stack(widths):
    layers = []
    for cin, cout in zip(widths[:-1], widths[1:]):
        layers += [
            nn.Conv2d(cin, cout, 3, 2, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        ]
    return nn.Sequential(*layers)


class Embedder(nn.Module):
    def __init__(self, widths, dim=128):
        super().__init__()
        self.features = stack(widths)
        self.proj = nn.Sequential(
            nn.Linear(widths[-1], dim, bias=False),
            nn.BatchNorm1d(dim),
        )

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)
        return F.normalize(self.proj(x), dim=1)


def relational_loss(s, t):
    return F.smooth_l1_loss(s @ s.T, t @ t.T)


def recall_at_1(model, loader, device):
    model.eval()
    embs, ids = [], []
    with torch.no_grad():
        for x, y in loader:
            embs.append(model(x.to(device)).cpu())
            ids.append(y)
    embs, ids = torch.cat(embs), torch.cat(ids)
    sim = embs @ embs.T
    sim.fill_diagonal_(-2.0)
    nn_idx = sim.argmax(dim=1)
    return (ids[nn_idx] == ids).float().mean().item()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", default="data/sop_train.pt")
    p.add_argument("--query", default="data/sop_query.pt")
    p.add_argument("--teacher", default="weights/embedder_large.pt")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=120)
    p.add_argument("--onnx", type=Path, default=Path("export/student_embedder.onnx"))
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_loader = DataLoader(torch.load(args.train), batch_size=args.batch_size, shuffle=True,
                              drop_last=True, num_workers=6)
    query_loader = DataLoader(torch.load(args.query), batch_size=256, num_workers=4)

    teacher = Embedder([3, 64, 128, 256, 512, 1024]).to(device)
    teacher.load_state_dict(torch.load(args.teacher, map_location=device))
    teacher.eval()
    teacher.requires_grad_(False)

    student = Embedder([3, 32, 64, 128, 256]).to(device)
    optimizer = torch.optim.AdamW(student.parameters(), lr=1e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)

    print(f"teacher R@1 {recall_at_1(teacher, query_loader, device):.4f}")
    best = 0.0
    for epoch in range(args.epochs):
        student.train()
        for x, _ in train_loader:
            x = x.to(device)
            with torch.no_grad():
                t = teacher(x)
            s = student(x)
            loss = relational_loss(s, t) + (1 - (s * t).sum(1)).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        r1 = recall_at_1(student, query_loader, device)
        print(f"epoch {epoch}: loss {loss.item():.4f} student R@1 {r1:.4f}")
        if r1 > best:
            best = r1
            torch.save(student.state_dict(), "weights/student_best.pt")

    student.load_state_dict(torch.load("weights/student_best.pt", map_location=device))
    student.eval()
    args.onnx.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(student, torch.randn(1, 3, 224, 224, device=device), str(args.onnx),
                      input_names=["image"], output_names=["embedding"],
                      dynamic_axes={"image": {0: "batch"}, "embedding": {0: "batch"}},
                      opset_version=17)
    print(f"best student R@1 {best:.4f}; exported {args.onnx}")


if __name__ == "__main__":
    main()
