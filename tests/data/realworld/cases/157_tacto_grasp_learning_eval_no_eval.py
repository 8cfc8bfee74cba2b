import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision


class Model(nn.Module):
    def __init__(self, fields):
        super().__init__()
        self.fields = fields
        for k in self.fields:
            net = self.get_base_net()
            self.add_module("net_{}".format(k), net)
        self.nb_feature = 512
        self.fc1 = nn.Linear(self.nb_feature * len(fields), 512)
        self.fc2 = nn.Linear(512, 2)

    def get_base_net(self):
        # Load pre-trained resnet-18 and remove the last fc layer
        net = torchvision.models.resnet18(pretrained=True)
        return nn.Sequential(*list(net.children())[:-1])

    def forward(self, x):
        nets = self.__dict__["_modules"]
        features = [nets["net_{}".format(k)](x[k]).view(-1, self.nb_feature) for k in self.fields]
        return self.fc2(F.relu(self.fc1(torch.cat(features, dim=1))))


class Learning:
    def __init__(self, fields, train_loader, test_loader):
        self.fields = fields
        self.device = torch.device("cuda:0")
        self.model = Model(self.fields).to(self.device)
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = optim.Adam(self.model.parameters(), lr=0.0005)
        self.trainLoader, self.testLoader = train_loader, test_loader

    def evaluation(self):
        total, correct = 0, 0
        for i, data in enumerate(self.testLoader):
            x = {k: data[k].to(self.device) for k in self.fields}
            label = data["label"].to(self.device)
            with torch.no_grad():
                outputs = self.model(x)
                pred = outputs.argmax(axis=-1)
                total += label.size(0)
                correct += (pred == label).sum().item()
        return correct / total

    def train(self, nbEpoch=10):
        accTestList = []
        for epoch in range(nbEpoch):
            for i, data in enumerate(self.trainLoader):
                x = {k: data[k].to(self.device) for k in self.fields}
                label = data["label"].to(self.device)
                self.optimizer.zero_grad()
                loss = self.criterion(self.model(x), label)
                loss.backward()
                self.optimizer.step()
            accTestList.append(self.evaluation())
        return accTestList


def test(fields, loaders):
    learner = Learning(fields, *loaders)
    accTestList = learner.train(10)
    acc = learner.evaluation()
    print(fields, acc, accTestList)
