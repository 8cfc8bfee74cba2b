import torch
from torchvision.models import resnet50, ResNet50_Weights

from extractor import FeatureExtractor

if __name__ == "__main__":
    net = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
    images = torch.load("images.pt")
    extractor = FeatureExtractor(net)
    extractor.extract(images, "features.npy")
