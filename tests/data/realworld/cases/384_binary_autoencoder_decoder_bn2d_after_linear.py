import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision
from torch.autograd import Function
from torchvision import transforms

zsize = 48
batch_size = 11
iterations = 500
learningRate = 0.0001


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super(Bottleneck, self).__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride,
                               padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        residual = x

        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)

        out = self.conv2(out)
        out = self.bn2(out)
        out = self.relu(out)

        out = self.conv3(out)
        out = self.bn3(out)

        if self.downsample is not None:
            residual = self.downsample(x)

        out += residual
        out = self.relu(out)

        return out


class Encoder(nn.Module):

    def __init__(self, block, layers, num_classes=23):
        self.inplanes = 64
        super(Encoder, self).__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AvgPool2d(7, stride=1)
        self.fc = nn.Linear(512 * block.expansion, 1000)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.data.normal_(0, math.sqrt(2. / n))
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion,
                          kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )

        layers = []
        layers.append(block(self.inplanes, planes, stride, downsample))
        self.inplanes = planes * block.expansion
        for i in range(1, blocks):
            layers.append(block(self.inplanes, planes))

        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)

        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)

        x = self.avgpool(x)
        x = x.view(x.size(0), -1)
        x = self.fc(x)

        return x


encoder = Encoder(Bottleneck, [3, 4, 6, 3])
encoder.load_state_dict(torch.load('resnet50-19c8e357.pth'))
encoder.fc = nn.Linear(2048, 48)
encoder = encoder.cuda()


class Binary(Function):

    @staticmethod
    def forward(ctx, input):
        return F.relu(input.sign())

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


binary = Binary()


class Decoder(nn.Module):
    def __init__(self):
        super(Decoder, self).__init__()
        self.dfc3 = nn.Linear(zsize, 4096)
        self.bn3 = nn.BatchNorm2d(4096)
        self.dfc2 = nn.Linear(4096, 4096)
        self.bn2 = nn.BatchNorm2d(4096)
        self.dfc1 = nn.Linear(4096, 256 * 6 * 6)
        self.bn1 = nn.BatchNorm2d(256 * 6 * 6)
        self.upsample1 = nn.Upsample(scale_factor=2)
        self.dconv5 = nn.ConvTranspose2d(256, 256, 3, padding=0)
        self.dconv4 = nn.ConvTranspose2d(256, 384, 3, padding=1)
        self.dconv3 = nn.ConvTranspose2d(384, 192, 3, padding=1)
        self.dconv2 = nn.ConvTranspose2d(192, 64, 5, padding=2)
        self.dconv1 = nn.ConvTranspose2d(64, 3, 12, stride=4, padding=4)

    def forward(self, x):
        x = self.dfc3(x)
        x = F.relu(self.bn3(x))

        x = self.dfc2(x)
        x = F.relu(self.bn2(x))
        x = self.dfc1(x)
        x = F.relu(self.bn1(x))
        x = x.view(batch_size, 256, 6, 6)
        x = self.upsample1(x)
        x = self.dconv5(x)
        x = F.relu(x)
        x = F.relu(self.dconv4(x))
        x = F.relu(self.dconv3(x))
        x = self.upsample1(x)
        x = self.dconv2(x)
        x = F.relu(x)
        x = self.upsample1(x)
        x = self.dconv1(x)
        x = torch.sigmoid(x)
        return x


class Autoencoder(nn.Module):
    def __init__(self):
        super(Autoencoder, self).__init__()
        self.encoder = encoder
        self.binary = Binary()
        self.decoder = Decoder()

    def forward(self, x):
        x = self.encoder(x)
        x = binary.apply(x)
        x = self.decoder(x)
        return x


autoencoder = Autoencoder()


class Classifier(nn.Module):
    def __init__(self):
        super(Classifier, self).__init__()
        self.L1 = nn.Linear(zsize, 64)
        self.L2 = nn.Linear(64, 32)
        self.L3 = nn.Linear(32, 23)

    def forward(self, x):
        x = F.relu(self.L1(x))
        x = F.relu(self.L2(x))
        x = F.log_softmax(self.L3(x), dim=1)
        return x


class Classification(nn.Module):
    def __init__(self):
        super(Classification, self).__init__()
        self.encoder = encoder
        self.binary = Binary()
        self.classifier = Classifier()

    def forward(self, x):
        x = self.encoder(x)
        x = binary.apply(x)
        x = self.classifier(x)
        return x


classification = Classification()

if torch.cuda.is_available():
    autoencoder.cuda()
    classification.cuda()

transform = transforms.Compose([
    transforms.Resize((224, 224), interpolation=2),
    transforms.ToTensor(),
])
trainset = torchvision.datasets.ImageFolder("fashion/dataset/train", transform=transform, target_transform=None)
trainloader = torch.utils.data.DataLoader(trainset, shuffle=True, batch_size=batch_size, num_workers=2)

autoencoder_criterion = nn.MSELoss()
classification_criterion = nn.NLLLoss()

autoencoder_optimizer = optim.Adam(autoencoder.parameters(), lr=learningRate)
classification_optimizer = optim.Adam(classification.parameters(), lr=learningRate)

for epoch in range(iterations):
    run_loss = 0
    run_c_loss = 0
    autoencoder.train(True)
    classification.train(True)
    for i, data in enumerate(trainloader):
        inputs, labels = data
        inputs, labels = inputs.cuda(), labels.cuda()

        autoencoder_optimizer.zero_grad()
        classification_optimizer.zero_grad()
        pred = autoencoder(inputs)
        a_loss = autoencoder_criterion(pred, inputs)
        a_loss.backward()
        autoencoder_optimizer.step()

        class_pred = classification(inputs)
        c_loss = classification_criterion(class_pred, labels)
        c_loss.backward(retain_graph=True)
        classification_optimizer.step()

        run_loss += a_loss.item()
        run_c_loss += c_loss.item()
        if (i + 1) % 2 == 0:
            print('[%d, %5d] Autoencoder loss: %.3f Classification loss: %.3f' % (epoch + 1, i + 1, run_loss / 2, run_c_loss / 2))
            run_c_loss = 0.0
            run_loss = 0.0

        torch.save(autoencoder.state_dict(), os.path.join('fashion/Autoencoder/', 'autoencoder-%d.pkl' % (epoch + 1)))
