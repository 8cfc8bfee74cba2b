import argparse

import numpy as np
import torch

import utils


class FaceTester:
    def __init__(self, device):
        self.device = device

    def calculate_features(self, model, images):
        features = {}
        for name, image in images.items():
            data = torch.from_numpy(np.array([image])).to(self.device)
            feature = model.extract_feature(data)[0]
            features[name] = feature.cpu().detach().numpy()
        return features

    def acc(self, model, images):
        features = self.calculate_features(model, images)
        return len(features)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None, type=str)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tester = FaceTester(device)
    model = utils.load_model(args.model, device)
    print(tester.acc(model, {}))
