import numpy as np
import torch

from nets import load_feature_extractor


def main(clips, path, device="cpu"):
    network = load_feature_extractor(path, device)
    features = []
    with torch.no_grad():
        for clip in clips:
            features.append(network(clip.to(device)).cpu().numpy())
    np.save("features.npy", np.concatenate(features))
