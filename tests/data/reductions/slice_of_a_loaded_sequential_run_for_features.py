import torch
import torch.nn as nn
import torchvision


class InfluentialSample:
    def __init__(self, loader, path):
        self.dl_ev = loader
        self.model = self._load_model(path)

    def _load_model(self, path):
        feat = torchvision.models.resnet50()
        model = torch.nn.Sequential(feat, torch.nn.Linear(1000, 128))
        model = nn.DataParallel(model)
        model.load_state_dict(torch.load(path))
        return model

    @torch.no_grad()
    def get_features(self):
        all_features = []
        for x, t in self.dl_ev:
            m = self.model.module[:-1](x)
            all_features.append(m.cpu())
        return torch.cat(all_features)
