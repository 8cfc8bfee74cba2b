# CS231n-style assignment: CIFAR-10 with a small convnet
# uses plain (non-affine) batchnorm after the convs, the conv bias acts as the shift
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as transforms
import matplotlib.pyplot as plt

device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

transform_train = transforms.Compose([
    transforms.RandomCrop(32, padding=4),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
])
trainset = torchvision.datasets.CIFAR10(root='./data', train=True, download=True, transform=transform_train)
testset = torchvision.datasets.CIFAR10(root='./data', train=False, download=True, transform=transforms.ToTensor())
trainloader = torch.utils.data.DataLoader(trainset, batch_size=100, shuffle=True, num_workers=2)
testloader = torch.utils.data.DataLoader(testset, batch_size=100, shuffle=False, num_workers=2)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc_bn = nn.BatchNorm1d(256)
        self.fc2 = nn.Linear(256, 10)
        self.bn_a = nn.BatchNorm2d(48, affine=False)
        self.bn_b = nn.BatchNorm2d(96, affine=False)
        self.conv_b = nn.Conv2d(48, 96, 3, padding=1)
        self.conv_a = nn.Conv2d(3, 48, 3, padding=1)
        self.fc1 = nn.Linear(96 * 8 * 8, 256, bias=False)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn_a(self.conv_a(x))), 2)
        x = F.max_pool2d(F.relu(self.bn_b(self.conv_b(x))), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc_bn(self.fc1(x)))
        x = F.dropout(x, 0.5, self.training)
        return self.fc2(x)


def evaluate(model, loader):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            preds = model(images).argmax(dim=1)
            correct += (preds == labels).sum().item()
            total += labels.size(0)
    model.train()
    return correct / total


model = Net().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
criterion = nn.CrossEntropyLoss()

losses = []
accs = []
epochs = 15
model.train()
for epoch in range(epochs):
    tl = 0.0
    for it, (images, labels) in enumerate(trainloader):
        images, labels = images.to(device), labels.to(device)
        loss = criterion(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        tl += loss.item()
        if it == 0 and epoch == 0:
            print('first loss', loss.item())  # should be ~2.3
    losses.append(tl / len(trainloader))
    accs.append(evaluate(model, testloader))
    print('epoch {} loss {:.3f} acc {:.3f}'.format(epoch, losses[-1], accs[-1]))
    if epoch == 9:
        for g in optimizer.param_groups:
            g['lr'] = 0.005

fig, (a1, a2) = plt.subplots(1, 2)
a1.plot(losses)
a1.set_title('loss')
a2.plot(accs)
a2.set_title('test acc')
plt.show()

final = evaluate(model, testloader)
print('final test acc', final)
torch.save(model.state_dict(), 'cifar_affine_false.pth')
