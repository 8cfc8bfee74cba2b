import numpy as np

from .models import resnet50


def get_features(dataloader, device="cuda"):
    model = resnet50(device=device)
    feature_list = []
    for batch in dataloader:
        feature = model(batch.to(device)).detach().cpu().numpy()
        feature_list.append(feature)
    return np.concatenate(feature_list, axis=0)
