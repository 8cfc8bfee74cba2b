import torch

from classifier import LeafClassifier


def load(path):
    model = LeafClassifier()
    model.load_state_dict(torch.load(path, map_location="cpu"))
    return model.eval()


if __name__ == "__main__":
    model = load("leaf.pt")
    batch = torch.load("batch.pt")
    probs = model.infer_proba(batch)
    print(probs)
