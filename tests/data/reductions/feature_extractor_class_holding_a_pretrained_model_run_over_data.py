import pickle
import torch
import torchvision
import torch.nn as nn


class ExtractFeatures:
    def __init__(self, device):
        self.device = device
        self.image_model = torchvision.models.resnet101(pretrained=True)
        self.adaptive_pool = nn.AdaptiveAvgPool2d((7, 7))
        for p in self.image_model.parameters():
            p.requires_grad = False

    def _extract(self, images):
        out = self.image_model(images)
        out = self.adaptive_pool(out)
        return out


if __name__ == "__main__":
    f_extractor = ExtractFeatures("cpu")
    for split in ["train", "val"]:
        imgs = torch.utils.data.DataLoader(torch.load(split), batch_size=1, shuffle=False)
        features = {}
        for img in imgs:
            fmap = f_extractor._extract(img)
            features[len(features)] = fmap
        pickle.dump(features, open(split + ".pkl", "wb"))
