import numpy as np
import torch
from torchvision import models


class FeatureExtractor:
    def __init__(self, model, device="cpu"):
        if isinstance(model, str):
            self.model = getattr(models, model)(weights="DEFAULT")
            self.model.eval()
        else:
            self.model = model
            self.model.eval()
        self.device = device

    def extract(self, images, out_path):
        features = []
        with torch.no_grad():
            for image in images:
                features.append(self.model(image.to(self.device)).cpu().numpy())
        np.save(out_path, np.concatenate(features))
