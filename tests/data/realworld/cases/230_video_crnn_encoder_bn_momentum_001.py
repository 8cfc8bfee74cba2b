import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as models


class EncoderCNN(nn.Module):
    def __init__(self, fc_hidden1=512, CNN_embed_dim=300, conv_out_hw=(3, 4)):
        super().__init__()
        self.ch1, self.ch2 = 32, 64
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels=3, out_channels=self.ch1, kernel_size=(5, 5), stride=(2, 2), padding=(0, 0)),
            nn.BatchNorm2d(self.ch1, momentum=0.01),
            nn.ReLU(inplace=True),
        )
        self.conv2 = nn.Sequential(
            nn.Conv2d(in_channels=self.ch1, out_channels=self.ch2, kernel_size=(3, 3), stride=(2, 2), padding=(0, 0)),
            nn.BatchNorm2d(self.ch2, momentum=0.01),
            nn.ReLU(inplace=True),
        )
        self.fc1 = nn.Linear(self.ch2 * conv_out_hw[0] * conv_out_hw[1], fc_hidden1)
        self.fc2 = nn.Linear(fc_hidden1, CNN_embed_dim)

    def forward(self, x_3d):
        cnn_embed_seq = []
        for t in range(x_3d.size(1)):
            x = self.conv2(self.conv1(x_3d[:, t, :, :, :]))
            x = x.view(x.size(0), -1)
            x = self.fc2(F.relu(self.fc1(x)))
            cnn_embed_seq.append(x)
        return torch.stack(cnn_embed_seq, dim=0).transpose_(0, 1)


class ResCNNEncoder(nn.Module):
    def __init__(self, fc_hidden1=512, fc_hidden2=512, drop_p=0.3, CNN_embed_dim=300):
        super().__init__()
        resnet = models.resnet152(pretrained=True)
        self.resnet = nn.Sequential(*list(resnet.children())[:-1])
        self.fc1 = nn.Linear(resnet.fc.in_features, fc_hidden1)
        self.bn1 = nn.BatchNorm1d(fc_hidden1, momentum=0.01)
        self.fc2 = nn.Linear(fc_hidden1, fc_hidden2)
        self.bn2 = nn.BatchNorm1d(fc_hidden2, momentum=0.01)
        self.fc3 = nn.Linear(fc_hidden2, CNN_embed_dim)
        self.drop_p = drop_p

    def forward(self, x_3d):
        cnn_embed_seq = []
        for t in range(x_3d.size(1)):
            with torch.no_grad():
                x = self.resnet(x_3d[:, t, :, :, :])
                x = x.view(x.size(0), -1)
            x = F.relu(self.bn1(self.fc1(x)))
            x = F.relu(self.bn2(self.fc2(x)))
            x = F.dropout(x, p=self.drop_p, training=self.training)
            cnn_embed_seq.append(self.fc3(x))
        return torch.stack(cnn_embed_seq, dim=0).transpose_(0, 1)
