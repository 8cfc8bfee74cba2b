"""Submission: average the 5 fold checkpoints, 4x flip TTA."""
import os

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from config import CFG
from dataset import SeedlingDataset, get_transforms
from models import get_model

CLASSES = sorted(os.listdir(os.path.join(CFG.data_dir, "train")))


@torch.no_grad()
def tta_predict(model, loader):
    probs = []
    for images in loader:
        images = images.to(CFG.device)
        views = [images, images.flip(-1), images.flip(-2), images.flip(-1, -2)]
        p = torch.stack([model(v).softmax(1) for v in views]).mean(0)  # expect: BN101
        probs.append(p.cpu().numpy())
    return np.concatenate(probs)


def main():
    files = sorted(os.listdir(os.path.join(CFG.data_dir, "test")))
    test = pd.DataFrame({"file": files, "file_path": [os.path.join(CFG.data_dir, "test", f) for f in files]})
    loader = DataLoader(SeedlingDataset(test, get_transforms("valid"), with_label=False), batch_size=CFG.batch_size * 2, shuffle=False, num_workers=CFG.num_workers)

    predictions = []
    for fold in range(CFG.n_folds):
        model = get_model(CFG, pretrained=False)
        state = torch.load(os.path.join(CFG.output_dir, f"{CFG.model_name}_fold{fold}_best.pth"), map_location="cpu")
        model.load_state_dict(state["model"])
        model.to(CFG.device)
        predictions.append(tta_predict(model, loader))

    test["species"] = [CLASSES[i] for i in np.mean(predictions, axis=0).argmax(1)]
    test[["file", "species"]].to_csv("submission.csv", index=False)


if __name__ == "__main__":
    main()
