"""Classify every breathing cycle of one recording with the best checkpoint."""
import sys

import torch

from config import Config
from data import RespiratoryCycles, pad_collate
from engine import load_model


def predict_recording(model, dataset, record, device):
    idx = [i for i, c in enumerate(dataset.cycles) if c[0] == record]
    out = []
    with torch.inference_mode():
        for i in idx:
            x, _ = pad_collate([dataset[i]])
            probs = torch.softmax(model(x.to(device)), dim=1)[0]
            out.append((dataset.cycles[i][1], dataset.cycles[i][2], probs.cpu()))
    return out


if __name__ == "__main__":
    cfg = Config()
    record = sys.argv[1]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = load_model(cfg, f"{cfg.out_dir}/best.pt", device)
    dataset = RespiratoryCycles(cfg, "test")
    for start, end, probs in predict_recording(model, dataset, record, device):
        label = cfg.classes[int(probs.argmax())]
        print(f"{start:7.2f}-{end:7.2f}s  {label:8s}  " + " ".join(f"{p:.2f}" for p in probs.tolist()))
