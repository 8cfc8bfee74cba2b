"""Heart-sound (PCG) normal/abnormal classification, PhysioNet/CinC 2016,
trained with the Hugging Face Trainer on a plain nn.Module.
"""
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
import soundfile as sf
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from transformers import Trainer, TrainingArguments

DATA_DIR = os.environ.get("PCG_DIR", "data/physionet2016")
SR = 2000
SEG = 5 * SR


class PCGDataset(torch.utils.data.Dataset):
    def __init__(self, df):
        self.df = df.reset_index(drop=True)

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        row = self.df.iloc[i]
        wav, sr = sf.read(os.path.join(DATA_DIR, row["folder"], row["record"] + ".wav"), dtype="float32")
        assert sr == SR, sr
        wav = wav[:SEG] if len(wav) >= SEG else np.pad(wav, (0, SEG - len(wav)))
        wav = (wav - wav.mean()) / (wav.std() + 1e-6)
        return {"input_values": torch.from_numpy(wav).unsqueeze(0), "labels": int(row["label"] == 1)}


@dataclass
class Collator:
    def __call__(self, feats):
        return {
            "input_values": torch.stack([f["input_values"] for f in feats]),
            "labels": torch.tensor([f["labels"] for f in feats]),
        }


class PCGNet(nn.Module):
    def __init__(self, widths=(16, 32, 64, 128), n_classes=2):
        super().__init__()
        layers, cin = [], 1
        for w in widths:
            layers += [
                nn.Conv1d(cin, w, 9, padding=4, bias=False),
                nn.BatchNorm1d(w),
                nn.ReLU(),
                nn.MaxPool1d(4),
            ]
            cin = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Linear(2 * cin, 64, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(64, n_classes),
        )

    def forward(self, input_values, labels=None):
        x = self.features(input_values)
        x = torch.cat([x.mean(-1), x.amax(-1)], dim=1)
        logits = self.head(x)
        out = {"logits": logits}
        if labels is not None:
            weight = torch.tensor([1.0, 3.5], device=logits.device)
            out["loss"] = F.cross_entropy(logits, labels, weight=weight)
        return out


def compute_metrics(pred):
    logits, labels = pred.predictions, pred.label_ids
    prob = torch.softmax(torch.from_numpy(logits), -1)[:, 1].numpy()
    return {
        "balanced_acc": balanced_accuracy_score(labels, logits.argmax(-1)),
        "auroc": roc_auc_score(labels, prob),
    }


def main():
    meta = pd.read_csv(os.path.join(DATA_DIR, "REFERENCE_all.csv"), names=["record", "label", "folder"])
    test_mask = meta["folder"] == "training-e"
    rest = meta[~test_mask].sample(frac=1.0, random_state=0)
    n_val = int(0.15 * len(rest))
    val_df, train_df, test_df = rest[:n_val], rest[n_val:], meta[test_mask]

    args = TrainingArguments(
        output_dir="runs/pcgnet",
        per_device_train_batch_size=32,
        per_device_eval_batch_size=64,
        num_train_epochs=30,
        learning_rate=1e-3,
        weight_decay=1e-2,
        warmup_ratio=0.05,
        eval_strategy="epoch",
        save_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="balanced_acc",
        dataloader_drop_last=True,
        logging_steps=50,
        report_to="none",
    )
    trainer = Trainer(
        model=PCGNet(),
        args=args,
        train_dataset=PCGDataset(train_df),
        eval_dataset=PCGDataset(val_df),
        data_collator=Collator(),
        compute_metrics=compute_metrics,
    )
    trainer.train()
    print("validation:", trainer.evaluate())
    test_out = trainer.predict(PCGDataset(test_df))
    print("held-out site (training-e):", test_out.metrics)
    np.save("pcg_test_logits.npy", test_out.predictions)
    torch.save(trainer.model.state_dict(), "runs/pcgnet/final.pt")


if __name__ == "__main__":
    main()
