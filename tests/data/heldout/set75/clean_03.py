# Fashion-MNIST - converted from my keras notebook
# keras BatchNormalization(momentum=0.99, epsilon=0.001)  ==  torch momentum=0.01, eps=1e-3
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import matplotlib.pyplot as plt
from torchvision import datasets

train_set = datasets.FashionMNIST('data', train=True, download=True)
test_set = datasets.FashionMNIST('data', train=False, download=True)
X_train = train_set.data.float().unsqueeze(1) / 255.0
y_train = train_set.targets
X_test = test_set.data.float().unsqueeze(1) / 255.0
y_test = test_set.targets

KERAS_MOMENTUM = 0.99
TORCH_MOMENTUM = 1 - KERAS_MOMENTUM


class KerasLikeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, bias=False)
        self.bn1 = nn.BatchNorm2d(32, 1e-3, TORCH_MOMENTUM)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, bias=False)
        self.bn2 = nn.BatchNorm2d(64, eps=1e-3, momentum=0.01)
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(0.25)
        self.dense = nn.Linear(64 * 12 * 12, 128, bias=False)
        self.bn3 = nn.BatchNorm1d(128, 0.001, 0.01)
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = self.drop(self.pool(x))
        x = x.flatten(1)
        x = F.relu(self.bn3(self.dense(x)))
        return self.out(x)


def predict(model, X, bs=500):
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(X), bs):
            preds.append(model(X[i:i + bs]).argmax(1))
    return torch.cat(preds)


model = KerasLikeNet()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()

batch_size = 64
epochs = 8
history = {'loss': [], 'acc': []}
for ep in range(epochs):
    model.train()
    perm = torch.randperm(len(X_train))
    ep_loss, nb = 0.0, 0
    for i in range(0, len(X_train), batch_size):
        idx = perm[i:i + batch_size]
        loss = loss_fn(model(X_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        ep_loss += loss.item()
        nb += 1
    history['loss'].append(ep_loss / nb)
    tr_pred = predict(model, X_train[:5000])
    history['acc'].append((tr_pred == y_train[:5000]).float().mean().item())
    print('Epoch %d/%d - loss: %.4f - acc: %.4f' % (ep + 1, epochs, history['loss'][-1], history['acc'][-1]))

test_pred = predict(model, X_test)
print('test acc', (test_pred == y_test).float().mean().item())

plt.plot(history['loss'], label='loss')
plt.plot(history['acc'], label='acc')
plt.legend()
plt.show()

cm = np.zeros((10, 10), dtype=int)
for t, p in zip(y_test.numpy(), test_pred.numpy()):
    cm[t, p] += 1
print(cm)
plt.imshow(cm, cmap='Greens')
plt.colorbar()
plt.show()
