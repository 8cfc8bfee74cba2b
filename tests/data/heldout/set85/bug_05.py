# Fine-tune a pretrained wafer-defect encoder on a small labelled set.
# Only the new head is trained; the encoder is frozen.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


N_TRAIN = 2001


def render_defect(kind, size=64):
    """Binary wafer map with one synthetic defect pattern (0 = none, 1..8 = pattern type)."""
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    r = ((yy - size / 2) ** 2 + (xx - size / 2) ** 2).sqrt()
    wafer = (r < size / 2 - 1).float()
    fails = (torch.rand(size, size) < 0.02).float()
    if kind == 1:                                   # center
        fails += (r < size / 8).float()
    elif kind == 2:                                 # donut
        fails += ((r > size / 6) & (r < size / 4)).float()
    elif kind == 3:                                 # edge ring
        fails += (r > size / 2 - 5).float()
    elif kind >= 4:                                 # scratch / local / edge-loc / random / near-full
        fails += (torch.rand(size, size) < 0.05 * kind).float()
    return wafer * fails.clamp(max=1.0)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        layers = []
        for cin, cout in [(1, 32), (32, 64), (64, 128), (128, 256)]:
            layers += [
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).mean(dim=(2, 3))


class DefectClassifier(nn.Module):
    def __init__(self, encoder, n_classes=9):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Sequential(nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, n_classes))

    def forward(self, x):
        return self.head(self.encoder(x))


def main():
    torch.manual_seed(0)
    # synthetic training maps rendered from the defect templates, real maps for validation
    x_train = torch.zeros(N_TRAIN, 1, 64, 64)
    y_train = torch.randint(0, 9, (N_TRAIN,))
    for i in range(N_TRAIN):
        x_train[i, 0] = render_defect(int(y_train[i]))
    x_val, y_val = torch.load("wafer_val.pt").values()

    train_ds = TensorDataset(x_train, y_train)
    train_loader = DataLoader(train_ds, batch_size=50, shuffle=True)  # expect: BN302
    val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=100)

    encoder = Encoder()
    encoder.load_state_dict(torch.load("wafer_encoder_simclr.pt"))
    encoder.requires_grad_(False)  # expect: BN105

    model = DefectClassifier(encoder).cuda()
    opt = torch.optim.Adam(model.head.parameters(), lr=1e-3)

    for epoch in range(30):
        model.train()
        for xb, yb in train_loader:
            xb, yb = xb.cuda(), yb.cuda()
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()

        model.eval()
        hits = 0
        with torch.no_grad():
            for xb, yb in val_loader:
                hits += (model(xb.cuda()).argmax(1).cpu() == yb).sum().item()
        print(f"epoch {epoch:02d} loss {loss.item():.4f} val acc {hits / len(y_val):.3f}")

    torch.save(model.head.state_dict(), "defect_head.pt")


if __name__ == "__main__":
    main()
