import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from config import CONFIG
from data import WakeWordClips
from models import DSCNN
from utils import evaluate, save_checkpoint


def main(cfg=CONFIG):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_ds = WakeWordClips(cfg["train_manifest"], cfg["sample_rate"], cfg["clip_seconds"], augment=True)
    val_ds = WakeWordClips(cfg["val_manifest"], cfg["sample_rate"], cfg["clip_seconds"])
    train_loader = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True, num_workers=4)  # expect: BN301
    val_loader = DataLoader(val_ds, batch_size=128, num_workers=4)

    model = DSCNN(cfg["width"], cfg["n_blocks"]).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    pos_weight = torch.tensor([4.0], device=device)

    best_score = float("inf")
    for epoch in range(cfg["epochs"]):
        model.train()
        for feats, label in train_loader:
            feats, label = feats.to(device), label.to(device)
            loss = F.binary_cross_entropy_with_logits(model(feats), label, pos_weight=pos_weight)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        frr, far = evaluate(model, val_loader, device)
        score = frr + 10 * far
        print(f"epoch {epoch}: FRR {frr:.3%} FAR {far:.3%}")
        if score < best_score:
            best_score = score
            save_checkpoint(model, optimizer, epoch, cfg["checkpoint"])


if __name__ == "__main__":
    main()
