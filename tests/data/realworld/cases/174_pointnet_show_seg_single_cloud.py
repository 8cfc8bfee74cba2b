import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable

from pointnet.dataset import ShapeNetDataset


class STN3d(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(3, 64, 1)
        self.conv2 = torch.nn.Conv1d(64, 1024, 1)
        self.fc1 = nn.Linear(1024, 256)
        self.fc2 = nn.Linear(256, 9)
        self.bn1 = nn.BatchNorm1d(64)
        self.bn2 = nn.BatchNorm1d(1024)
        self.bn4 = nn.BatchNorm1d(256)

    def forward(self, x):
        x = F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))
        x = torch.max(x, 2, keepdim=True)[0].view(-1, 1024)
        x = self.fc2(F.relu(self.bn4(self.fc1(x))))
        return x.view(-1, 3, 3) + torch.eye(3)


class PointNetDenseCls(nn.Module):
    def __init__(self, k=2):
        super().__init__()
        self.k = k
        self.stn = STN3d()
        self.conv1 = torch.nn.Conv1d(3, 128, 1)
        self.bn1 = nn.BatchNorm1d(128)
        self.conv4 = torch.nn.Conv1d(128, self.k, 1)

    def forward(self, x):
        trans = self.stn(x)
        x = torch.bmm(x.transpose(2, 1), trans).transpose(2, 1)
        x = self.conv4(F.relu(self.bn1(self.conv1(x)))).transpose(2, 1).contiguous()
        return F.log_softmax(x, dim=-1), trans, None


parser = argparse.ArgumentParser()
parser.add_argument("--model", type=str, default="", help="model path")
parser.add_argument("--idx", type=int, default=0, help="model index")
parser.add_argument("--dataset", type=str, default="", help="dataset path")
parser.add_argument("--class_choice", type=str, default="", help="class choice")
opt = parser.parse_args()

d = ShapeNetDataset(root=opt.dataset, class_choice=[opt.class_choice], split="test", data_augmentation=False)
point, seg = d[opt.idx]

state_dict = torch.load(opt.model)
classifier = PointNetDenseCls(k=state_dict["conv4.weight"].size()[0])
classifier.load_state_dict(state_dict)

point = point.transpose(1, 0).contiguous()
point = Variable(point.view(1, point.size()[0], point.size()[1]))
pred, _, _ = classifier(point)
pred_choice = pred.data.max(2)[1]
np.save("pred_color.npy", pred_choice.cpu().numpy()[0])
