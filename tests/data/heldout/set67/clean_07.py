"""Environmental sound classification (ESC-50 folds) with a CNN trained by the HF Trainer."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from datasets import load_dataset
from transformers import Trainer, TrainingArguments

SAMPLE_RATE = 22050
N_MELS = 64
NUM_LABELS = 50


def conv_block(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class SoundCNN(nn.Module):
    def __init__(self, num_labels=NUM_LABELS):
        super().__init__()
        self.melspec = torchaudio.transforms.MelSpectrogram(SAMPLE_RATE, n_fft=1024, hop_length=512, n_mels=N_MELS)
        self.to_db = torchaudio.transforms.AmplitudeToDB()
        self.input_norm = nn.BatchNorm2d(1)
        self.features = nn.Sequential(conv_block(1, 32), conv_block(32, 64), conv_block(64, 128), conv_block(128, 256))
        self.classifier = nn.Sequential(nn.Dropout(0.3), nn.Linear(256, num_labels))

    def forward(self, input_values, labels=None):
        spec = self.to_db(self.melspec(input_values)).unsqueeze(1)
        x = self.features(self.input_norm(spec))
        logits = self.classifier(x.amax(dim=(2, 3)))
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return {"loss": loss, "logits": logits}


def preprocess(example):
    audio = example["audio"]
    wav = torch.tensor(audio["array"], dtype=torch.float32)
    if audio["sampling_rate"] != SAMPLE_RATE:
        wav = torchaudio.functional.resample(wav, audio["sampling_rate"], SAMPLE_RATE)
    wav = F.pad(wav, (0, max(0, 5 * SAMPLE_RATE - wav.numel())))[: 5 * SAMPLE_RATE]
    return {"input_values": wav.numpy(), "labels": example["target"]}


def collate(features):
    return {
        "input_values": torch.stack([torch.as_tensor(f["input_values"]) for f in features]),
        "labels": torch.tensor([f["labels"] for f in features]),
    }


def compute_metrics(eval_pred):
    logits, labels = eval_pred
    predictions = np.argmax(logits, axis=-1)
    return {"accuracy": float((predictions == labels).mean())}


def main():
    raw = load_dataset("ashraq/esc50", split="train")
    raw = raw.map(preprocess, remove_columns=raw.column_names, num_proc=4)
    splits = raw.train_test_split(test_size=0.2, seed=0)
    valid_test = splits["test"].train_test_split(test_size=0.5, seed=0)

    args = TrainingArguments(
        output_dir="esc50-cnn",
        per_device_train_batch_size=32,
        per_device_eval_batch_size=64,
        learning_rate=1e-3,
        num_train_epochs=40,
        weight_decay=1e-4,
        eval_strategy="epoch",
        save_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="accuracy",
        dataloader_drop_last=True,
        report_to="none",
    )
    trainer = Trainer(
        model=SoundCNN(),
        args=args,
        train_dataset=splits["train"],
        eval_dataset=valid_test["train"],
        data_collator=collate,
        compute_metrics=compute_metrics,
    )
    trainer.train()
    print(trainer.evaluate())

    output = trainer.predict(valid_test["test"])
    test_predictions = np.argmax(output.predictions, axis=-1)
    print("test accuracy:", (test_predictions == output.label_ids).mean())
    np.save("esc50_test_predictions.npy", test_predictions)


if __name__ == "__main__":
    main()
