# CIFAR-10 CNN - following the youtube tutorial (part 3, adding batchnorm)
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as transforms
import matplotlib.pyplot as plt

# hyper parameters
BATCH_SIZE = 64
LR = 0.01
EPOCHS = 10

device = torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')
print("using", device)

transform = transforms.Compose(
    [transforms.ToTensor(),
     transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])

trainset = torchvision.datasets.CIFAR10(root='./data', train=True,
                                        download=True, transform=transform)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=BATCH_SIZE,
                                          shuffle=True, num_workers=2)

testset = torchvision.datasets.CIFAR10(root='./data', train=False,
                                       download=True, transform=transform)
testloader = torch.utils.data.DataLoader(testset, batch_size=BATCH_SIZE,
                                         shuffle=False, num_workers=2)

classes = ('plane', 'car', 'bird', 'cat', 'deer',
           'dog', 'frog', 'horse', 'ship', 'truck')


class ConvNet(nn.Module):
    def __init__(self):
        super(ConvNet, self).__init__()
        # i put all the norms first so i can find them easy
        self.norm1 = nn.SyncBatchNorm(32)  # expect: BN303
        self.norm2 = nn.BatchNorm2d(64)
        self.norm3 = nn.BatchNorm1d(128)  # expect: BN202
        # fully connected part
        self.fc1 = nn.Linear(128 * 4 * 4, 256)
        self.fc2 = nn.Linear(256, 10)
        # conv part
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.conv3 = nn.Conv2d(64, 128, 3, padding=1, bias=False)
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x):
        x = self.pool(F.relu(self.norm1(self.conv1(x))))   # 32x16x16
        x = self.pool(F.relu(self.norm2(self.conv2(x))))   # 64x8x8
        x = self.pool(F.relu(self.norm3(self.conv3(x))))   # 128x4x4
        x = x.view(-1, 128 * 4 * 4)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return x


net = ConvNet().to(device)
print(net)

criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=LR, momentum=0.9)

train_loss_hist = []
val_acc_hist = []

net.train()
for epoch in range(EPOCHS):
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, labels = data[0].to(device), data[1].to(device)

        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()

        running_loss += loss.item()
        if i % 200 == 199:
            print('[%d, %5d] loss: %.3f' % (epoch + 1, i + 1, running_loss / 200))
            train_loss_hist.append(running_loss / 200)
            running_loss = 0.0

    # check accuracy on the test set after every epoch
    net.eval()  # expect: BN103
    correct = 0
    total = 0
    with torch.no_grad():
        for data in testloader:
            images, labels = data[0].to(device), data[1].to(device)
            outputs = net(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    acc = 100 * correct / total
    val_acc_hist.append(acc)
    print(f'Epoch {epoch + 1} test acc: {acc:.2f} %')

print('Finished Training')

plt.figure()
plt.plot(train_loss_hist)
plt.xlabel('x200 iterations')
plt.ylabel('loss')
plt.figure()
plt.plot(val_acc_hist, 'r-o')
plt.xlabel('epoch')
plt.ylabel('test accuracy')
plt.show()

# accuracy per class
correct_pred = {classname: 0 for classname in classes}
total_pred = {classname: 0 for classname in classes}
with torch.no_grad():
    for data in testloader:
        images, labels = data[0].to(device), data[1].to(device)
        outputs = net(images)
        _, predictions = torch.max(outputs, 1)
        for label, prediction in zip(labels, predictions):
            if label == prediction:
                correct_pred[classes[label]] += 1
            total_pred[classes[label]] += 1

for classname, correct_count in correct_pred.items():
    accuracy = 100 * float(correct_count) / total_pred[classname]
    print(f'Accuracy for class: {classname:5s} is {accuracy:.1f} %')

PATH = './cifar_net.pth'
torch.save(net.state_dict(), PATH)
