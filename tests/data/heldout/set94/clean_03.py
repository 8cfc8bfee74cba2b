"""Tabular + text fusion model trained with the HuggingFace Trainer.

A small custom nn.Module (with BatchNorm on the numeric branch) is wrapped by
transformers.Trainer, which handles train/eval mode, AMP and accumulation.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from datasets import load_dataset
from sklearn.metrics import f1_score, roc_auc_score
from transformers import (AutoModel, AutoTokenizer, EarlyStoppingCallback, Trainer,
                          TrainingArguments)

TEXT_MODEL = "distilbert-base-uncased"
NUMERIC_COLS = ["age", "income", "tenure", "n_products", "balance", "score"]


class NumericEncoder(nn.Module):
    def __init__(self, n_in, hidden=128):
        super().__init__()
        self.in_norm = nn.BatchNorm1d(n_in, 1e-3)  # positional eps, small
        self.fc1 = nn.Linear(n_in, hidden, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden, eps=1e-5, momentum=0.05)
        self.fc2 = nn.Linear(hidden, hidden, bias=False)
        self.bn2 = nn.BatchNorm1d(hidden, 0.001)

    def forward(self, x):
        x = self.in_norm(x)
        x = F.relu(self.bn1(self.fc1(x)))
        return F.relu(self.bn2(self.fc2(x)))


class FusionClassifier(nn.Module):
    def __init__(self, n_numeric=len(NUMERIC_COLS), num_labels=2):
        super().__init__()
        self.text = AutoModel.from_pretrained(TEXT_MODEL)
        self.numeric = NumericEncoder(n_numeric)
        dim = self.text.config.hidden_size + 128
        self.head = nn.Sequential(nn.Dropout(0.1), nn.Linear(dim, num_labels))

    def forward(self, input_ids=None, attention_mask=None, numeric=None, labels=None):
        h = self.text(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        cls = h[:, 0]
        logits = self.head(torch.cat([cls, self.numeric(numeric)], dim=-1))
        return {"logits": logits}


class WeightedTrainer(Trainer):
    """Trainer with class-weighted cross entropy."""

    def __init__(self, *args, class_weights=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_weights = class_weights

    def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        weight = None
        if self.class_weights is not None:
            weight = self.class_weights.to(outputs["logits"].device)
        loss = F.cross_entropy(outputs["logits"], labels, weight=weight)
        return (loss, outputs) if return_outputs else loss


def compute_metrics(eval_pred):
    logits, labels = eval_pred
    probs = torch.softmax(torch.tensor(logits), dim=-1)[:, 1].numpy()
    preds = logits.argmax(-1)
    return {"f1": f1_score(labels, preds), "auc": roc_auc_score(labels, probs)}


def main():
    tok = AutoTokenizer.from_pretrained(TEXT_MODEL)
    raw = load_dataset("csv", data_files={"train": "data/train.csv", "validation": "data/val.csv",
                                          "test": "data/test.csv"})
    stats = {c: (np.mean(raw["train"][c]), np.std(raw["train"][c]) + 1e-6) for c in NUMERIC_COLS}

    def preprocess(batch):
        enc = tok(batch["complaint"], truncation=True, max_length=128, padding="max_length")
        enc["numeric"] = [[(batch[c][i] - stats[c][0]) / stats[c][1] for c in NUMERIC_COLS]
                          for i in range(len(batch["complaint"]))]
        enc["labels"] = batch["churned"]
        return enc

    ds = raw.map(preprocess, batched=True, remove_columns=raw["train"].column_names)
    ds.set_format("torch")
    counts = np.bincount(ds["train"]["labels"].numpy(), minlength=2)
    class_weights = torch.tensor(counts.sum() / (2 * counts), dtype=torch.float32)

    args = TrainingArguments(
        output_dir="runs/fusion",
        per_device_train_batch_size=32,
        per_device_eval_batch_size=128,
        gradient_accumulation_steps=2,
        learning_rate=3e-5,
        num_train_epochs=5,
        warmup_ratio=0.06,
        weight_decay=0.01,
        fp16=True,
        eval_strategy="epoch",
        save_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="auc",
        dataloader_drop_last=True,
        report_to="none",
    )
    trainer = WeightedTrainer(
        model=FusionClassifier(),
        args=args,
        train_dataset=ds["train"],
        eval_dataset=ds["validation"],
        compute_metrics=compute_metrics,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=2)],
        class_weights=class_weights,
    )
    trainer.train()
    print(trainer.evaluate())
    pred = trainer.predict(ds["test"])
    np.save("test_logits.npy", pred.predictions)
    print(pred.metrics)


if __name__ == "__main__":
    main()
