# fine tune my cifar model on the small flowers dataset (5 classes, ~700 imgs)
# then save a torchscript file for the raspberry pi demo
import torch
import torch.nn as nn
import torch.optim as optim
from torchvision import datasets, transforms

device = 'cuda' if torch.cuda.is_available() else 'cpu'


class SmallNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.pool(self.relu(self.bn1(self.conv1(x))))
        x = self.pool(self.relu(self.bn2(self.conv2(x))))
        x = self.relu(self.bn3(self.conv3(x)))
        x = self.gap(x).flatten(1)
        return self.fc(x)


tf = transforms.Compose([
    transforms.Resize((64, 64)),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
])
train_set = datasets.ImageFolder('flowers/train', transform=tf)
loader = torch.utils.data.DataLoader(train_set, batch_size=16, shuffle=True)
print(train_set.classes)

model = SmallNet(num_classes=10)
model.load_state_dict(torch.load('pretrained_cifar.pth', map_location='cpu'))
model.fc = nn.Linear(64, 5)  # new head for flowers
model = model.to(device)


# dataset is tiny so keep the batchnorm stats from cifar
def freeze_bn(net):
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


freeze_bn(model)
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
criterion = nn.CrossEntropyLoss()

num_epochs = 12
for epoch in range(num_epochs):
    model.train()  # expect: BN105
    epoch_loss = 0
    correct = 0
    for imgs, labels in loader:
        imgs, labels = imgs.to(device), labels.to(device)
        out = model(imgs)
        loss = criterion(out, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item() * imgs.size(0)
        correct += (out.argmax(1) == labels).sum().item()
    print('epoch %d loss %.3f train acc %.3f' % (epoch, epoch_loss / len(train_set), correct / len(train_set)))

torch.save(model.state_dict(), 'flowers_finetuned.pth')

# torchscript for the pi
model = model.cpu()
example = torch.rand(1, 3, 64, 64)
traced = torch.jit.trace(model, example)  # expect: BN104
traced.save('flowers_pi.pt')
print('saved torchscript')
