"""predict.py -- run a fine-tuned EfficientNet-B0 over a folder of leaf images
and write a submission csv (Kaggle cassava leaf disease)."""
import argparse
import glob
import os

import pandas as pd
import torch
from PIL import Image
from torch import nn
from torch.utils.data import Dataset, DataLoader
from torchvision import models, transforms

CLASSES = ["CBB", "CBSD", "CGM", "CMD", "Healthy"]


class LeafDataset(Dataset):
    def __init__(self, files, tfm):
        self.files = files
        self.tfm = tfm

    def __len__(self):
        return len(self.files)

    def __getitem__(self, idx):
        path = self.files[idx]
        img = Image.open(path).convert("RGB")
        return self.tfm(img), os.path.basename(path)


def create_model(num_classes: int) -> nn.Module:
    net = models.efficientnet_b0(weights=None)
    in_features = net.classifier[1].in_features
    net.classifier = nn.Sequential(nn.Dropout(p=0.3, inplace=True), nn.Linear(in_features, num_classes))
    return net


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", default="../input/cassava-leaf-disease-classification/test_images")
    ap.add_argument("--weights", default="../input/cassava-effnet/effb0_fold0_best.pth")
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--out", default="submission.csv")
    return ap.parse_args()


def main():
    args = parse()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tfm = transforms.Compose([
        transforms.Resize((512, 512)),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    files = sorted(glob.glob(os.path.join(args.images, "*.jpg")))
    loader = DataLoader(LeafDataset(files, tfm), batch_size=args.bs, shuffle=False, num_workers=2)

    model = create_model(len(CLASSES))
    state = torch.load(args.weights, map_location="cpu")
    if "model" in state:
        state = state["model"]
    model.load_state_dict(state)
    model.to(device)
    model.eval  # expect: BN102

    ids, labels = [], []
    with torch.no_grad():
        for batch, names in loader:
            batch = batch.to(device)
            logits = model(batch)  # expect: BN101
            # horizontal-flip TTA
            logits = logits + model(torch.flip(batch, dims=[3]))  # expect: BN101
            labels.extend(logits.argmax(1).cpu().tolist())
            ids.extend(names)

    pd.DataFrame({"image_id": ids, "label": labels}).to_csv(args.out, index=False)
    print(f"wrote {len(ids)} predictions to {args.out}")


if __name__ == "__main__":
    main()
