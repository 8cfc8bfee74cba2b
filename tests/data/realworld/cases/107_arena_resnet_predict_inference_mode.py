import torch as t
import torch.nn as nn
import torchvision


class ResidualBlock(nn.Module):
    def __init__(self, in_feats, out_feats, first_stride=1):
        super().__init__()
        self.left = nn.Sequential(
            nn.Conv2d(in_feats, out_feats, 3, first_stride, 1, bias=False), nn.BatchNorm2d(out_feats), nn.ReLU(),
            nn.Conv2d(out_feats, out_feats, 3, 1, 1, bias=False), nn.BatchNorm2d(out_feats),
        )
        self.right = nn.Identity() if first_stride == 1 and in_feats == out_feats else nn.Sequential(
            nn.Conv2d(in_feats, out_feats, 1, first_stride, bias=False), nn.BatchNorm2d(out_feats))

    def forward(self, x):
        return t.relu(self.left(x) + self.right(x))


class ResNet34(nn.Module):
    def __init__(self, n_classes=1000):
        super().__init__()
        self.in_layers = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                       nn.MaxPool2d(3, 2, 1))
        self.residual_layers = nn.Sequential(ResidualBlock(64, 64), ResidualBlock(64, 128, 2))
        self.out_layers = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, n_classes))

    def forward(self, x):
        return self.out_layers(self.residual_layers(self.in_layers(x)))


def copy_weights(my_resnet, pretrained_resnet):
    mydict = dict(zip(my_resnet.state_dict(), pretrained_resnet.state_dict().values()))
    my_resnet.load_state_dict(mydict)
    return my_resnet


@t.inference_mode()
def predict(model, images):
    logits = model(images)
    return logits.argmax(dim=1)


my_resnet = copy_weights(ResNet34(), torchvision.models.resnet34(weights="IMAGENET1K_V1"))
images = t.stack([t.rand(3, 224, 224) for _ in range(6)])
print(predict(my_resnet, images))
