import argparse
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.data
from data_utils.ModelNetDataLoader import ModelNetDataLoader, load_data
from utils.pointconv_util import PointConvDensitySetAbstraction


class PointConvDensityClsSsg(nn.Module):
    def __init__(self, num_classes=40):
        super(PointConvDensityClsSsg, self).__init__()
        self.sa1 = PointConvDensitySetAbstraction(npoint=512, nsample=32, in_channel=3, mlp=[64, 64, 128], bandwidth=0.1, group_all=False)
        self.sa2 = PointConvDensitySetAbstraction(npoint=128, nsample=64, in_channel=128 + 3, mlp=[128, 128, 256], bandwidth=0.2, group_all=False)
        self.sa3 = PointConvDensitySetAbstraction(npoint=1, nsample=None, in_channel=256 + 3, mlp=[256, 512, 1024], bandwidth=0.4, group_all=True)
        self.fc1 = nn.Linear(1024, 512)
        self.bn1 = nn.BatchNorm1d(512)
        self.drop1 = nn.Dropout(0.4)
        self.fc2 = nn.Linear(512, 256)
        self.bn2 = nn.BatchNorm1d(256)
        self.drop2 = nn.Dropout(0.4)
        self.fc3 = nn.Linear(256, num_classes)

    def forward(self, xyz):
        B, _, _ = xyz.shape
        l1_xyz, l1_points = self.sa1(xyz, None)
        l2_xyz, l2_points = self.sa2(l1_xyz, l1_points)
        l3_xyz, l3_points = self.sa3(l2_xyz, l2_points)
        x = l3_points.view(B, 1024)
        x = self.drop1(F.relu(self.bn1(self.fc1(x))))
        x = self.drop2(F.relu(self.bn2(self.fc2(x))))
        x = self.fc3(x)
        return F.log_softmax(x, -1)


def parse_args():
    parser = argparse.ArgumentParser('PointConv')
    parser.add_argument('--batchsize', type=int, default=1, help='batch size in training')
    parser.add_argument('--epoch', default=400, type=int, help='number of epoch in training')
    parser.add_argument('--learning_rate', default=0.001, type=float, help='learning rate in training')
    return parser.parse_args()


def main(args):
    datapath = './data/ModelNet/'
    train_data, train_label, test_data, test_label = load_data(datapath, classification=True)
    trainDataset = ModelNetDataLoader(train_data, train_label)
    trainDataLoader = torch.utils.data.DataLoader(trainDataset, batch_size=args.batchsize, shuffle=True)

    classifier = PointConvDensityClsSsg(40).cuda()
    optimizer = torch.optim.SGD(classifier.parameters(), lr=0.01, momentum=0.9)

    for epoch in range(args.epoch):
        for batch_id, data in enumerate(trainDataLoader, 0):
            points, target = data
            target = target[:, 0]
            points = points.transpose(2, 1)
            points, target = points.cuda(), target.cuda()
            optimizer.zero_grad()
            classifier = classifier.train()
            pred = classifier(points)
            loss = F.nll_loss(pred, target.long())
            loss.backward()
            optimizer.step()


if __name__ == '__main__':
    args = parse_args()
    main(args)
