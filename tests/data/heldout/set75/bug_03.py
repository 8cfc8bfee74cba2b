# Fashion-MNIST in pytorch
# ported from my keras notebook from the tensorflow course (same architecture)
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import matplotlib.pyplot as plt
from torchvision import datasets

torch.manual_seed(42)

train_set = datasets.FashionMNIST('data', train=True, download=True)
test_set = datasets.FashionMNIST('data', train=False, download=True)

# keras style: just big tensors, no DataLoader
X_train = train_set.data.float().unsqueeze(1) / 255.0
y_train = train_set.targets
X_test = test_set.data.float().unsqueeze(1) / 255.0
y_test = test_set.targets
print(X_train.shape, X_test.shape)

labels_map = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat',
              'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']


class KerasLikeNet(nn.Module):
    def __init__(self):
        super().__init__()
        # Conv2D(32, 3) -> BatchNormalization -> relu
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, bias=False)
        self.bn1 = nn.BatchNorm2d(32, momentum=0.99)  # expect: BN205
        # Conv2D(64, 3) -> BatchNormalization -> relu -> MaxPool
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, bias=False)
        self.bn2 = nn.BatchNorm2d(64, 0.9)  # expect: BN206
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(0.25)
        self.flat = nn.Flatten()
        # Dense(128) -> BatchNormalization(epsilon=1e-3)
        self.dense = nn.Linear(64 * 12 * 12, 128, bias=False)
        self.bn3 = nn.BatchNorm1d(128, eps=1e-3)
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = self.drop(self.pool(x))
        x = self.flat(x)
        x = F.relu(self.bn3(self.dense(x)))
        return self.out(x)


def predict(model, X, bs=500):
    preds = []
    with torch.no_grad():
        for i in range(0, len(X), bs):
            out = model(X[i:i + bs])  # expect: BN101
            preds.append(out.argmax(1))
    return torch.cat(preds)


model = KerasLikeNet()
opt = torch.optim.Adam(model.parameters(), lr=0.001)
loss_fn = nn.CrossEntropyLoss()

# model.fit(X_train, y_train, batch_size=64, epochs=8)
batch_size = 64
epochs = 8
history = {'loss': [], 'acc': []}

for ep in range(epochs):
    model.train()
    perm = torch.randperm(len(X_train))
    ep_loss = 0.0
    n_batches = 0
    for i in range(0, len(X_train), batch_size):
        idx = perm[i:i + batch_size]
        xb = X_train[idx]
        yb = y_train[idx]
        logits = model(xb)
        loss = loss_fn(logits, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ep_loss += loss.item()
        n_batches += 1
    history['loss'].append(ep_loss / n_batches)
    tr_pred = predict(model, X_train[:5000])
    history['acc'].append((tr_pred == y_train[:5000]).float().mean().item())
    print('Epoch %d/%d - loss: %.4f - acc: %.4f' % (ep + 1, epochs, history['loss'][-1], history['acc'][-1]))

# model.evaluate(X_test, y_test)
test_pred = predict(model, X_test)
print('test acc', (test_pred == y_test).float().mean().item())

plt.plot(history['loss'], label='loss')
plt.plot(history['acc'], label='acc')
plt.legend()
plt.show()

# confusion matrix by hand
cm = np.zeros((10, 10), dtype=int)
for t, p in zip(y_test.numpy(), test_pred.numpy()):
    cm[t, p] += 1
plt.imshow(cm, cmap='Blues')
plt.xticks(range(10), labels_map, rotation=90)
plt.yticks(range(10), labels_map)
plt.colorbar()
plt.show()
