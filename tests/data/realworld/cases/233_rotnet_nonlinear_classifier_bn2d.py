import torch.nn as nn


class Flatten(nn.Module):
    def forward(self, feat):
        return feat.view(feat.size(0), -1)


class Classifier(nn.Module):
    def __init__(self, opt):
        super().__init__()
        nChannels = opt["nChannels"]
        num_classes = opt["num_classes"]
        pool_size = opt["pool_size"]
        nChannelsAll = nChannels * pool_size * pool_size
        self.cls_type = opt["cls_type"]
        self.classifier = nn.Sequential()
        if self.cls_type == "MultLayer":
            nFeats = min(num_classes * 20, 2048)
            self.classifier.add_module("Flatten", Flatten())
            self.classifier.add_module("Liniear_1", nn.Linear(nChannelsAll, nFeats, bias=False))
            self.classifier.add_module("BatchNorm_1", nn.BatchNorm2d(nFeats))
            self.classifier.add_module("ReLU_1", nn.ReLU(inplace=True))
            self.classifier.add_module("Liniear_2", nn.Linear(nFeats, nFeats, bias=False))
            self.classifier.add_module("BatchNorm2d", nn.BatchNorm2d(nFeats))
            self.classifier.add_module("ReLU_2", nn.ReLU(inplace=True))
            self.classifier.add_module("Liniear_F", nn.Linear(nFeats, num_classes))
        elif self.cls_type == "NIN_ConvBlock3":
            self.classifier.add_module("Block3_ConvB1", nn.Conv2d(nChannels, 192, 3, padding=1, bias=False))
            self.classifier.add_module("Block3_BN1", nn.BatchNorm2d(192))
            self.classifier.add_module("Block3_ReLU1", nn.ReLU(inplace=True))
        else:
            raise ValueError("Not recognized classifier type: %s" % self.cls_type)

    def forward(self, feat):
        return self.classifier(feat)


def create_model(opt):
    return Classifier(opt)
