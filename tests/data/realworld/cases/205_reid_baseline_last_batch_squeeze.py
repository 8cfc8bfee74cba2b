import argparse
import os

import torch
import torch.nn as nn
from torchvision import datasets, models, transforms

parser = argparse.ArgumentParser(description="Training")
parser.add_argument("--data_dir", default="../Market/pytorch", type=str)
parser.add_argument("--batchsize", default=32, type=int)
parser.add_argument("--droprate", default=0.5, type=float)
opt = parser.parse_args()


class ClassBlock(nn.Module):
    def __init__(self, input_dim, class_num, droprate, num_bottleneck=512):
        super().__init__()
        add_block = [nn.Linear(input_dim, num_bottleneck), nn.BatchNorm1d(num_bottleneck),
                     nn.LeakyReLU(0.1), nn.Dropout(p=droprate)]
        self.add_block = nn.Sequential(*add_block)
        self.classifier = nn.Linear(num_bottleneck, class_num)

    def forward(self, x):
        return self.classifier(self.add_block(x))


class ft_net(nn.Module):
    def __init__(self, class_num, droprate=0.5):
        super().__init__()
        self.model = models.resnet50(pretrained=True)
        self.model.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = ClassBlock(2048, class_num, droprate)

    def forward(self, x):
        m = self.model
        x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
        x = m.layer4(m.layer3(m.layer2(m.layer1(x))))
        x = torch.squeeze(m.avgpool(x))
        return self.classifier(x)


data_transforms = {x: transforms.Compose([transforms.Resize((256, 128)), transforms.ToTensor()])
                   for x in ["train", "val"]}
image_datasets = {x: datasets.ImageFolder(os.path.join(opt.data_dir, x), data_transforms[x])
                  for x in ["train", "val"]}
dataloaders = {x: torch.utils.data.DataLoader(image_datasets[x], batch_size=opt.batchsize,
                                              shuffle=True, num_workers=8)
               for x in ["train", "val"]}
model = ft_net(len(image_datasets["train"].classes), opt.droprate)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(60):
    for phase in ["train", "val"]:
        model.train(phase == "train")
        for inputs, labels in dataloaders[phase]:
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, labels)
            if phase == "train":
                loss.backward()
                optimizer.step()
