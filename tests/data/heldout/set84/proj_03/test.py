"""Score the test split and dump a confusion matrix + per-utterance predictions."""
import argparse
import json

import torch
from torch.utils.data import DataLoader

import configs as C
from datasets import IntentDataset, Vocab, pad_collate
from models import IntentClassifier


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=f"{C.TRAIN_CFG['out']}/best.pt")
    ap.add_argument("--dump", default="predictions.jsonl")
    args = ap.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    state = torch.load(args.ckpt, map_location="cpu")
    label_map = state["label_map"]
    inv = {v: k for k, v in label_map.items()}

    vocab = Vocab()
    test_set = IntentDataset("test", vocab, label_map=label_map)
    loader = DataLoader(test_set, batch_size=C.TRAIN_CFG["eval_batch_size"], collate_fn=pad_collate)

    model = IntentClassifier(vocab_size=len(vocab), num_classes=len(label_map))
    model.load_state_dict(state["model"])
    model.to(device)

    n = len(label_map)
    confusion = torch.zeros(n, n, dtype=torch.long)
    preds_all = []
    with torch.no_grad():
        for tokens, lengths, labels in loader:
            logits = model(tokens.to(device), lengths.to(device))  # expect: BN101
            preds = logits.argmax(-1).cpu()
            for t, p in zip(labels.tolist(), preds.tolist()):
                confusion[t, p] += 1
            preds_all.extend(preds.tolist())

    acc = confusion.diag().sum().item() / confusion.sum().item()
    print(f"test accuracy: {acc:.4f}")
    with open(args.dump, "w") as f:
        for (label, text), p in zip(test_set.samples, preds_all):
            f.write(json.dumps({"text": text, "gold": label, "pred": inv[p]}) + "\n")


if __name__ == "__main__":
    main()
