"""Audio-tagging CNN on log-mel spectrograms, trained with accelerate.

Evaluation runs every ``--eval-every`` optimizer steps, in the middle of an
epoch, so the helpers restore the training mode before returning.
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from accelerate import Accelerator
from torch.utils.data import DataLoader, Dataset


class MelClips(Dataset):
    def __init__(self, n, n_tags=50, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.mels = torch.randn(n, 1, 64, 256, generator=g)
        self.tags = (torch.rand(n, n_tags, generator=g) > 0.9).float()

    def __len__(self):
        return len(self.mels)

    def __getitem__(self, i):
        return self.mels[i], self.tags[i]


class AudioCNN(nn.Module):
    def __init__(self, n_tags=50, channels=(32, 64, 128, 256)):
        super().__init__()
        layers, cin = [], 1
        for cout in channels:
            layers.append(nn.Conv2d(cin, cout, 3, padding=1, bias=False))
            layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.ReLU(inplace=True))
            layers.append(nn.MaxPool2d(2))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.fc = nn.Sequential(nn.Linear(channels[-1], 256, bias=False), nn.BatchNorm1d(256),
                                nn.ReLU(), nn.Dropout(0.3), nn.Linear(256, n_tags))

    def forward(self, x):
        h = self.features(x)
        h = h.mean(dim=3).amax(dim=2)
        return self.fc(h)


def evaluate(model, loader, accelerator):
    model.eval()
    losses = []
    with torch.no_grad():
        for mel, tags in loader:
            logits = model(mel)
            loss = F.binary_cross_entropy_with_logits(logits, tags, reduction="none").mean(1)
            losses.append(accelerator.gather_for_metrics(loss))
    model.train()
    return torch.cat(losses).mean().item()


@torch.no_grad()
def log_examples(model, batch, accelerator, k=4):
    was_training = model.training
    model.eval()
    mel, tags = batch
    probs = torch.sigmoid(model(mel[:k]))
    top = probs.topk(3, dim=1).indices.tolist()
    accelerator.print("example top tags:", top, "true:", [t.nonzero().flatten().tolist() for t in tags[:k]])
    model.train(was_training)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=24)
    parser.add_argument("--accum", type=int, default=4)
    parser.add_argument("--eval-every", type=int, default=200)
    parser.add_argument("--out", default="runs/audio")
    args = parser.parse_args()

    accelerator = Accelerator(gradient_accumulation_steps=args.accum, mixed_precision="bf16")
    train_loader = DataLoader(MelClips(6000, seed=0), batch_size=args.batch_size, shuffle=True,
                              num_workers=4, drop_last=True)
    val_loader = DataLoader(MelClips(600, seed=1), batch_size=64, num_workers=4)

    model = AudioCNN()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    model, optimizer, train_loader, val_loader = accelerator.prepare(model, optimizer, train_loader, val_loader)

    global_step, best = 0, float("inf")
    for epoch in range(args.epochs):
        model.train()
        for mel, tags in train_loader:
            with accelerator.accumulate(model):
                logits = model(mel)
                loss = F.binary_cross_entropy_with_logits(logits, tags)
                accelerator.backward(loss)
                optimizer.step()
                optimizer.zero_grad()

            if accelerator.sync_gradients:
                global_step += 1
                if global_step % args.eval_every == 0:
                    val_loss = evaluate(model, val_loader, accelerator)
                    log_examples(model, (mel, tags), accelerator)
                    accelerator.print(f"step {global_step}: train {loss.item():.4f} val {val_loss:.4f}")
                    if val_loss < best:
                        best = val_loss
                        accelerator.save_state(os.path.join(args.out, "best_state"))

    accelerator.wait_for_everyone()
    final_val = evaluate(model, val_loader, accelerator)
    accelerator.print(f"final val loss {final_val:.4f} (best {best:.4f})")
    if accelerator.is_main_process:
        accelerator.save(accelerator.unwrap_model(model).state_dict(), os.path.join(args.out, "audio_cnn.pt"))


if __name__ == "__main__":
    main()
