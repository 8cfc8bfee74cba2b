"""Ignite pipeline for sensor-window activity recognition.

Uses ignite's supervised trainer/evaluator factories (they set train/eval
mode themselves) plus a custom test-time-augmentation evaluator.
"""
import torch
import torch.nn as nn
from ignite.engine import (Engine, Events, create_supervised_evaluator,
                           create_supervised_trainer)
from ignite.handlers import EarlyStopping, LRScheduler, ModelCheckpoint
from ignite.metrics import Accuracy, ConfusionMatrix, Loss
from torch.utils.data import DataLoader, TensorDataset

N_TRAIN = 4097
N_VAL = 800
WINDOW = 128
CHANNELS = 9
NUM_ACTIVITIES = 6
BATCH = 64
device = "cuda" if torch.cuda.is_available() else "cpu"


class ActivityCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(CHANNELS, 64, 5, padding=2, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Conv1d(64, 64, 5, padding=2, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(64, 128, 3, padding=1, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
        )
        self.fc = nn.Linear(128, NUM_ACTIVITIES)

    def forward(self, x):
        return self.fc(self.body(x))


def synthetic_split(n, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, NUM_ACTIVITIES, (n,), generator=g)
    t = torch.linspace(0, 6.28, WINDOW)
    freq = (y.float() + 1).view(-1, 1, 1)
    x = torch.sin(freq * t).expand(n, CHANNELS, WINDOW).clone()
    x += 0.3 * torch.randn(n, CHANNELS, WINDOW, generator=g)
    return TensorDataset(x, y)


train_ds = synthetic_split(N_TRAIN, 0)
val_ds = synthetic_split(N_VAL, 1)
# 4097 = 64 * 64 + 1, so drop the trailing single-sample batch
train_loader = DataLoader(train_ds, batch_size=BATCH, shuffle=True, drop_last=True)
val_loader = DataLoader(val_ds, batch_size=256)

model = ActivityCNN().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
criterion = nn.CrossEntropyLoss()
step_lr = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.3)

trainer = create_supervised_trainer(model, optimizer, criterion, device=device)
metrics = {"acc": Accuracy(), "loss": Loss(criterion),
           "cm": ConfusionMatrix(NUM_ACTIVITIES)}
evaluator = create_supervised_evaluator(model, metrics=metrics, device=device)
trainer.add_event_handler(Events.EPOCH_COMPLETED, LRScheduler(step_lr))


def tta_step(engine, batch):
    """Average predictions over small time shifts of the window."""
    model.eval()
    x, y = (t.to(device) for t in batch)
    with torch.no_grad():
        logits = torch.stack([model(torch.roll(x, s, dims=2)) for s in (-4, 0, 4)]).mean(0)
    return logits, y


tta_evaluator = Engine(tta_step)
Accuracy().attach(tta_evaluator, "acc")


@trainer.on(Events.EPOCH_COMPLETED)
def log_validation(engine):
    evaluator.run(val_loader)
    m = evaluator.state.metrics
    print(f"epoch {engine.state.epoch}: val acc {m['acc']:.4f} loss {m['loss']:.4f}")


@trainer.on(Events.EPOCH_COMPLETED(every=5))
def log_tta(engine):
    tta_evaluator.run(val_loader)
    print(f"  tta acc {tta_evaluator.state.metrics['acc']:.4f}")


@trainer.on(Events.ITERATION_COMPLETED(every=50))
def log_loss(engine):
    print(f"iter {engine.state.iteration}: loss {engine.state.output:.4f}")


evaluator.add_event_handler(
    Events.COMPLETED,
    EarlyStopping(patience=6, score_function=lambda e: e.state.metrics["acc"], trainer=trainer))
evaluator.add_event_handler(
    Events.COMPLETED,
    ModelCheckpoint("checkpoints/har", "har", n_saved=1, require_empty=False,
                    score_function=lambda e: e.state.metrics["acc"], score_name="acc"),
    {"model": model})


if __name__ == "__main__":
    trainer.run(train_loader, max_epochs=40)
    cm = evaluator.state.metrics["cm"]
    print("per-class recall:", (cm.diag() / cm.sum(1).clamp(min=1)).tolist())
