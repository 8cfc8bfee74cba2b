import copy
import random
from functools import wraps

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision import transforms as T

# ---------------------------------------------------------------------------
# BYOL on STL-10 (unlabeled split) followed by a linear probe on train/test.
# ---------------------------------------------------------------------------

EPOCHS = 200
PROBE_EPOCHS = 100
BATCH = 256
FEAT_DIM = 512
DEVICE = "cuda"


def default(val, def_val):
    return def_val if val is None else val


def singleton(cache_key):
    def inner_fn(fn):
        @wraps(fn)
        def wrapper(self, *args, **kwargs):
            instance = getattr(self, cache_key)
            if instance is not None:
                return instance
            instance = fn(self, *args, **kwargs)
            setattr(self, cache_key, instance)
            return instance
        return wrapper
    return inner_fn


def MLP(dim, projection_size, hidden_size=4096):
    return nn.Sequential(
        nn.Linear(dim, hidden_size),  # expect: BN204
        nn.BatchNorm1d(hidden_size),
        nn.ReLU(inplace=True),
        nn.Linear(hidden_size, projection_size),
    )


def loss_fn(x, y):
    x = F.normalize(x, dim=-1, p=2)
    y = F.normalize(y, dim=-1, p=2)
    return 2 - 2 * (x * y).sum(dim=-1)


class EMA:
    def __init__(self, beta):
        self.beta = beta

    def update_average(self, old, new):
        return new if old is None else old * self.beta + (1 - self.beta) * new


def update_moving_average(ema_updater, ma_model, current_model):
    for current_params, ma_params in zip(current_model.parameters(), ma_model.parameters()):
        ma_params.data = ema_updater.update_average(ma_params.data, current_params.data)


class BYOL(nn.Module):
    def __init__(self, net, image_size, projection_size=256, hidden=4096, moving_average_decay=0.99):
        super().__init__()
        self.net = net
        aug = T.Compose([
            T.RandomResizedCrop((image_size, image_size)),
            T.RandomHorizontalFlip(),
            T.RandomApply([T.ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.3),
            T.RandomGrayscale(p=0.2),
            T.RandomApply([T.GaussianBlur((3, 3), (1.0, 2.0))], p=0.2),
            T.Normalize(mean=torch.tensor([0.485, 0.456, 0.406]), std=torch.tensor([0.229, 0.224, 0.225])),
        ])
        self.augment1 = self.augment2 = aug
        self.online_projector = MLP(FEAT_DIM, projection_size, hidden)
        self.online_predictor = MLP(projection_size, projection_size, hidden)
        self.target_encoder = None
        self.target_ema_updater = EMA(moving_average_decay)

    @singleton("target_encoder")
    def _get_target_encoder(self):
        return copy.deepcopy(nn.Sequential(self.net, self.online_projector))

    def update_moving_average(self):
        update_moving_average(self.target_ema_updater, self.target_encoder,
                              nn.Sequential(self.net, self.online_projector))

    def forward(self, x):
        v1, v2 = self.augment1(x), self.augment2(x)
        p1 = self.online_predictor(self.online_projector(self.net(v1)))
        p2 = self.online_predictor(self.online_projector(self.net(v2)))
        with torch.no_grad():
            target = self._get_target_encoder()
            t1, t2 = target(v1).detach(), target(v2).detach()
        return (loss_fn(p1, t2) + loss_fn(p2, t1)).mean()


class ConvEncoder(nn.Module):
    """Small ResNet-ish encoder for 96x96 STL images -> FEAT_DIM features."""

    def __init__(self, width=64):
        super().__init__()

        def block(cin, cout, stride):
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            )

        self.stem = nn.Sequential(nn.Conv2d(3, width, 5, 2, 2, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        self.layer1 = block(width, width * 2, 2)
        self.layer2 = block(width * 2, width * 4, 2)
        self.layer3 = block(width * 4, FEAT_DIM, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return torch.flatten(self.pool(x), 1)


def stl10(split, train_tf):
    tf = train_tf if train_tf is not None else T.ToTensor()
    return torchvision.datasets.STL10("data/stl10", split=split, download=True, transform=tf)


def pretrain(encoder):
    loader = torch.utils.data.DataLoader(stl10("unlabeled", T.Compose([T.Resize(96), T.ToTensor()])),
                                         batch_size=BATCH, shuffle=True, num_workers=8, drop_last=True)
    learner = BYOL(encoder, image_size=96).to(DEVICE)
    opt = torch.optim.Adam(learner.parameters(), lr=3e-4)
    learner.train()
    for epoch in range(EPOCHS):
        for images, _ in loader:
            loss = learner(images.to(DEVICE, non_blocking=True))
            opt.zero_grad()
            loss.backward()
            opt.step()
            learner.update_moving_average()
        print(f"[byol] epoch {epoch} loss {loss.item():.4f}")
    torch.save(encoder.state_dict(), "byol_stl10_r18.pt")


def linear_probe(encoder):
    train_loader = torch.utils.data.DataLoader(stl10("train", None), batch_size=BATCH,
                                               shuffle=True, num_workers=8)
    test_loader = torch.utils.data.DataLoader(stl10("test", None), batch_size=BATCH,
                                              shuffle=False, num_workers=8)
    encoder.requires_grad_(False)  # expect: BN105
    clf = nn.Linear(FEAT_DIM, 10).to(DEVICE)
    opt = torch.optim.Adam(clf.parameters(), lr=1e-3, weight_decay=1e-6)
    for epoch in range(PROBE_EPOCHS):
        clf.train()
        for x, y in train_loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            with torch.no_grad():
                feats = encoder(x)
            loss = F.cross_entropy(clf(feats), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    encoder.eval()
    clf.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in test_loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            correct += (clf(encoder(x)).argmax(1) == y).sum().item()
            total += y.numel()
    print(f"linear probe top-1: {100.0 * correct / total:.2f}")


if __name__ == "__main__":
    random.seed(0)
    torch.manual_seed(0)
    enc = ConvEncoder().to(DEVICE)
    pretrain(enc)
    linear_probe(enc)
