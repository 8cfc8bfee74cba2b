# Q: "Ported my Keras CNN to PyTorch - same data, same hyperparameters, but val accuracy is much lower and noisy"
#
# Keras original (works, ~88% val acc):
#
#   def conv_block(x, filters):
#       x = Conv2D(filters, 3, padding="same")(x)
#       x = BatchNormalization()(x)          # momentum=0.99, epsilon=1e-3
#       x = Activation("relu")(x)
#       return MaxPooling2D()(x)
#   ...
#   x = Dense(256, use_bias=False)(x)
#   x = BatchNormalization(epsilon=0.001, momentum=0.99)(x)
#
# PyTorch port below gets ~70% and the val accuracy jumps around between epochs.
# I used the same BN hyperparameters as Keras so that shouldn't be the problem?

import numpy as np
import torch
from torch import nn
from torch.nn import BatchNorm2d as BN
from torch.utils.data import DataLoader, TensorDataset

KERAS_BN_EPS = 1e-3
BATCH_SIZE = 32  # keras default
EPOCHS = 50


def conv_block(in_ch, out_ch):
    layers = [nn.Conv2d(in_ch, out_ch, kernel_size=3, padding="same")]  # expect: BN204
    layers.append(BN(out_ch, momentum=0.99, eps=KERAS_BN_EPS))  # expect: BN205
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
        self.dense = nn.Linear(128 * 4 * 4, 256, bias=False)  # use_bias=False like keras
        self.dense_bn = nn.BatchNorm1d(256, 0.001, 0.99)  # expect: BN205
        self.dropout = nn.Dropout(0.5)
        self.out = nn.Linear(256, num_classes)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(x)))
        x = torch.relu(self.dense_bn(self.dense(self.flatten(x))))
        return self.out(self.dropout(x))


def load_npz(path):
    data = np.load(path)
    # keras arrays are NHWC uint8
    x = torch.from_numpy(data["x"]).permute(0, 3, 1, 2).float() / 255.0
    y = torch.from_numpy(data["y"]).long().view(-1)
    return TensorDataset(x, y)


def main():
    train_ds = load_npz("train.npz")
    val_ds = load_npz("val.npz")
    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)
    val_loader = DataLoader(val_ds, batch_size=BATCH_SIZE)

    model = KerasPortNet()
    # keras Adam defaults
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
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
        print(f"epoch {epoch + 1}/{EPOCHS} loss {tr_loss / len(train_ds):.4f} acc {tr_correct / len(train_ds):.4f} val_acc {va_correct / len(val_ds):.4f}")

    torch.save(model.state_dict(), "keras_port.pt")


if __name__ == "__main__":
    main()
