# A: "Keras' BatchNormalization(momentum=0.99) means running = 0.99 * running + 0.01 * batch.
# PyTorch's momentum is the weight of the *new* batch: running = 0.9 * running + 0.1 * batch
# for the default 0.1. So Keras 0.99 == PyTorch 0.01. With momentum=0.99 your running
# statistics are basically the last batch only -> noisy val accuracy. Also, a conv bias
# directly before BN is useless (the mean subtraction cancels it); Keras people often
# leave use_bias=True, in PyTorch just use bias=False."
#
# Fixed port. (Positional BatchNorm1d(256, 1e-3) is eps, which is what I want here.)

import numpy as np
import torch
from torch import nn
from torch.nn import BatchNorm2d as BN
from torch.utils.data import DataLoader, TensorDataset

KERAS_MOMENTUM = 0.99
TORCH_MOMENTUM = 1.0 - KERAS_MOMENTUM
KERAS_BN_EPS = 1e-3
BATCH_SIZE = 32  # keras default
EPOCHS = 50


def conv_block(in_ch, out_ch):
    layers = [nn.Conv2d(in_ch, out_ch, kernel_size=3, padding="same", bias=False)]
    layers.append(BN(out_ch, momentum=TORCH_MOMENTUM, eps=KERAS_BN_EPS))
    layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class KerasPortNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.block1 = conv_block(3, 32)
        self.block2 = conv_block(32, 64)
        self.block3 = conv_block(64, 128)
        self.flatten = nn.Flatten()
        self.dense = nn.Linear(128 * 4 * 4, 256, bias=False)
        self.dense_bn = nn.BatchNorm1d(256, 1e-3)
        self.dropout = nn.Dropout(0.5)
        self.dense2 = nn.Linear(256, 128, bias=False)
        # momentum=None -> cumulative moving average of all batches seen
        self.dense2_bn = nn.BatchNorm1d(128, eps=KERAS_BN_EPS, momentum=None)
        self.out = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(x)))
        x = torch.relu(self.dense_bn(self.dense(self.flatten(x))))
        x = torch.relu(self.dense2_bn(self.dense2(self.dropout(x))))
        return self.out(x)


def load_npz(path):
    data = np.load(path)
    # keras arrays are NHWC uint8
    x = torch.from_numpy(data["x"]).permute(0, 3, 1, 2).float() / 255.0
    y = torch.from_numpy(data["y"]).long().view(-1)
    return TensorDataset(x, y)


def main():
    train_ds = load_npz("train.npz")
    val_ds = load_npz("val.npz")
    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=BATCH_SIZE)

    model = KerasPortNet()
    # keras Adam defaults (beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    # keras SGD(momentum=0.9) would be torch.optim.SGD(..., momentum=0.9): same meaning there
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.5, patience=5)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(EPOCHS):
        model.train()
        tr_loss, tr_correct = 0.0, 0
        for xb, yb in train_loader:
            logits = model(xb)
            loss = loss_fn(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            tr_loss += loss.item() * len(xb)
            tr_correct += (logits.argmax(1) == yb).sum().item()

        model.eval()
        va_correct = 0
        with torch.no_grad():
            for xb, yb in val_loader:
                va_correct += (model(xb).argmax(1) == yb).sum().item()
        val_acc = va_correct / len(val_ds)
        scheduler.step(val_acc)
        print(f"epoch {epoch + 1}/{EPOCHS} loss {tr_loss / len(train_ds):.4f} acc {tr_correct / len(train_ds):.4f} val_acc {val_acc:.4f}")

    torch.save(model.state_dict(), "keras_port.pt")


if __name__ == "__main__":
    main()
