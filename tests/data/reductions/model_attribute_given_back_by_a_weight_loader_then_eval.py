import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super(Model, self).__init__()
        self.conv = nn.Conv2d(3, 128, 1, bias=False)
        self.bn = nn.BatchNorm2d(128)

    def forward(self, x):
        return self.bn(self.conv(x))


def load_test_model(model, path):
    model.load_state_dict(torch.load(path))
    return model


class ReId(object):
    def __init__(self, model_path):
        self.model = Model()
        self.model = load_test_model(self.model, model_path)
        self.model.eval()

    def extract_features(self, pictures):
        feats = self.model(torch.from_numpy(pictures).float())
        return feats.data.cpu().numpy()


def main():
    reId = ReId('/data/ckpt_path')
    print(reId.extract_features([1, 2]))


if __name__ == '__main__':
    main()
