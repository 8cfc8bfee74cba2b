# Checks that BN statistics stay fixed across epochs when freeze_bn() is
# re-applied after every model.train(). python train.py --epochs 3
import argparse

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from bnfreeze import ResNetTiny, freeze_bn

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--batch-size", type=int, default=16)
parser.add_argument("--lr", type=float, default=0.01)


def main():
    args = parser.parse_args()
    torch.manual_seed(0)
    model = ResNetTiny()
    ref_mean = model.layer2.bn1.running_mean.clone()

    ds = TensorDataset(torch.randn(512, 3, 32, 32), torch.randint(0, 10, (512,)))
    loader = DataLoader(ds, batch_size=args.batch_size, shuffle=True)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)

    for epoch in range(args.epochs):
        model.train()
        n_frozen = freeze_bn(model)
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        drift = (model.layer2.bn1.running_mean - ref_mean).abs().max().item()
        print(f"epoch {epoch}: {n_frozen} BN layers frozen, loss {loss.item():.3f}, drift {drift:.2e}")

    model.train(False)
    with torch.no_grad():
        logits = model(torch.randn(1, 3, 32, 32))
    print("eval logits:", logits)


if __name__ == "__main__":
    main()
