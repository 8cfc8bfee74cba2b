"""Tabular MLP baseline with batch normalisation for the "Rethinking Tabular
Deep Learning Baselines" reproduction; data is synthetic (make_classification
style) so the script runs anywhere.

    python clean_04.py --n-samples 10000 --epochs 100
"""
import argparse
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

N_FEATURES = 54
N_CLASSES = 7
HIDDEN = (512, 256, 128)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument('--n-samples', type=int, default=10000)
    p.add_argument('--val-frac', type=float, default=0.2)
    p.add_argument('--batch-size', type=int, default=256)
    p.add_argument('--epochs', type=int, default=100)
    p.add_argument('--lr', type=float, default=3e-3)
    p.add_argument('--weight-decay', type=float, default=1e-5)
    p.add_argument('--dropout', type=float, default=0.1)
    p.add_argument('--patience', type=int, default=16)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='runs/tabular_mlp')
    return p.parse_args()


def make_classification(n, n_features, n_classes, n_informative=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    centroids = torch.randn(n_classes, n_informative, generator=g) * 2.0
    y = torch.randint(0, n_classes, (n,), generator=g)
    informative = centroids[y] + torch.randn(n, n_informative, generator=g)
    mixing = torch.randn(n_informative, n_features - n_informative, generator=g)
    redundant = informative @ mixing / math.sqrt(n_informative)
    x = torch.cat([informative, redundant], dim=1)
    x = x[:, torch.randperm(n_features, generator=g)]
    return x, y


class MLPBlock(nn.Module):
    def __init__(self, d_in, d_out, dropout):
        super().__init__()
        self.linear = nn.Linear(d_in, d_out, bias=False)
        # Keras-ported hyper-parameters: eps=1e-3 and PyTorch momentum 0.01 (= 1 - 0.99)
        self.bn = nn.BatchNorm1d(d_out, 1e-3, momentum=0.01)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(F.relu(self.bn(self.linear(x))))


class TabularMLP(nn.Module):
    def __init__(self, d_in=N_FEATURES, hidden=HIDDEN, n_classes=N_CLASSES, dropout=0.1):
        super().__init__()
        self.input_bn = nn.BatchNorm1d(d_in)
        dims = (d_in,) + tuple(hidden)
        self.blocks = nn.Sequential(*[MLPBlock(a, b, dropout) for a, b in zip(dims[:-1], dims[1:])])
        self.head = nn.Linear(dims[-1], n_classes)

    def forward(self, x):
        return self.head(self.blocks(self.input_bn(x)))


@torch.inference_mode()
def predict_proba(model, x, batch_size=4096):
    assert not model.training, 'call model.train(False) before predicting'
    return torch.cat([F.softmax(model(x[i:i + batch_size]), dim=1)
                      for i in range(0, x.size(0), batch_size)])


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    x, y = make_classification(args.n_samples, N_FEATURES, N_CLASSES, seed=args.seed)
    full = TensorDataset(x, y)
    n_val = int(args.val_frac * len(full))
    train_set, val_set = random_split(full, [len(full) - n_val, n_val],
                                      generator=torch.Generator().manual_seed(args.seed))
    # 8000 training rows / 256 -> last batch has 64 rows
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_x = x[val_set.indices]
    val_y = y[val_set.indices]

    model = TabularMLP(dropout=args.dropout)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                    steps_per_epoch=len(train_loader))

    best_acc, best_state, bad_epochs, history = 0.0, None, 0, []
    for epoch in range(args.epochs):
        model.train()
        running = 0.0
        for xb, yb in train_loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            running += loss.item() * xb.size(0)

        model.train(mode=False)
        probs = predict_proba(model, val_x)
        val_acc = (probs.argmax(1) == val_y).float().mean().item() * 100
        val_nll = F.nll_loss(torch.log(probs + 1e-12), val_y).item()
        history.append({'epoch': epoch, 'train_loss': running / len(train_set),
                        'val_acc': val_acc, 'val_nll': val_nll})
        print('epoch {:3d} loss {:.4f} val acc {:.2f} nll {:.4f}'.format(
            epoch, running / len(train_set), val_acc, val_nll))

        if val_acc > best_acc:
            best_acc, bad_epochs = val_acc, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            bad_epochs += 1
            if bad_epochs >= args.patience:
                print('early stop at epoch', epoch)
                break

    model.load_state_dict(best_state)
    model.eval()
    example = val_x[:8]
    traced = torch.jit.trace(model, example)
    traced.save(os.path.join(args.out, 'mlp.pt'))
    with open(os.path.join(args.out, 'history.json'), 'w') as f:
        json.dump({'best_val_acc': best_acc, 'history': history}, f, indent=2)
    print('best val acc {:.2f}'.format(best_acc))


if __name__ == '__main__':
    main()
