"""PyTorch-Ignite training of a churn classifier on synthetic features.

Custom process functions for trainer and evaluator, checkpointing and
early stopping handlers.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from ignite.contrib.handlers import ProgressBar
from ignite.engine import Engine, Events
from ignite.handlers import Checkpoint, DiskSaver, EarlyStopping, global_step_from_engine
from ignite.metrics import Accuracy, Loss, ROC_AUC
from torch.utils.data import DataLoader, TensorDataset

N_TRAIN = 4097
N_VAL = 1000
N_FEATURES = 48
BATCH_SIZE = 64
device = "cuda" if torch.cuda.is_available() else "cpu"


class ChurnNet(nn.Module):
    def __init__(self, n_features=N_FEATURES, hidden=128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.GELU(),
            nn.Dropout(0.3),
            nn.Linear(hidden, hidden // 2, bias=False),
            nn.BatchNorm1d(hidden // 2),
            nn.GELU(),
            nn.Linear(hidden // 2, 2),
        )

    def forward(self, x):
        return self.net(x)


def make_data():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(N_FEATURES, generator=g)
    x_train = torch.randn(N_TRAIN, N_FEATURES, generator=g)
    y_train = (x_train @ w + 0.5 * torch.randn(N_TRAIN, generator=g) > 0).long()
    x_val = torch.randn(N_VAL, N_FEATURES, generator=g)
    y_val = (x_val @ w > 0).long()
    return TensorDataset(x_train, y_train), TensorDataset(x_val, y_val)


train_ds, val_ds = make_data()
train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
val_loader = DataLoader(val_ds, batch_size=256)

model = ChurnNet().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
lr_scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.97)
criterion = nn.CrossEntropyLoss()


def train_step(engine, batch):
    model.train()
    x, y = (t.to(device) for t in batch)
    optimizer.zero_grad()
    logits = model(x)
    loss = criterion(logits, y)
    loss.backward()
    optimizer.step()
    return loss.item()


def eval_step(engine, batch):
    with torch.no_grad():
        x, y = (t.to(device) for t in batch)
        logits = model(x)  # expect: BN101
        return logits, y


trainer = Engine(train_step)
evaluator = Engine(eval_step)


def positive_proba(output):
    logits, y = output
    return F.softmax(logits, dim=1)[:, 1], y


Accuracy().attach(evaluator, "accuracy")
Loss(criterion).attach(evaluator, "nll")
ROC_AUC(output_transform=positive_proba).attach(evaluator, "auc")
ProgressBar(persist=False).attach(trainer, output_transform=lambda loss: {"loss": loss})


@trainer.on(Events.EPOCH_COMPLETED)
def run_validation(engine):
    evaluator.run(val_loader)
    m = evaluator.state.metrics
    print(f"epoch {engine.state.epoch}: acc={m['accuracy']:.4f} "
          f"nll={m['nll']:.4f} auc={m['auc']:.4f}")


@trainer.on(Events.EPOCH_COMPLETED)
def step_scheduler(engine):
    lr_scheduler.step()


def score_fn(engine):
    return engine.state.metrics["auc"]


checkpoint = Checkpoint(
    {"model": model, "optimizer": optimizer, "trainer": trainer},
    DiskSaver("checkpoints/churn", require_empty=False),
    n_saved=2,
    score_function=score_fn,
    score_name="auc",
    global_step_transform=global_step_from_engine(trainer),
)
evaluator.add_event_handler(Events.COMPLETED, checkpoint)
evaluator.add_event_handler(Events.COMPLETED,
                            EarlyStopping(patience=5, score_function=score_fn, trainer=trainer))


if __name__ == "__main__":
    trainer.run(train_loader, max_epochs=50)
