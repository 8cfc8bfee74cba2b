"""Surface-defect classification with PyTorch-Ignite.

Training and validation use ignite's supervised engines (they switch the
model between train and eval themselves). A custom test-time-augmentation
engine is used for the final test set.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from ignite.engine import Engine, Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import Checkpoint, DiskSaver, EarlyStopping, global_step_from_engine
from ignite.metrics import Accuracy, ConfusionMatrix, Loss
from torch.utils.data import DataLoader, TensorDataset


class DefectNet(nn.Module):
    def __init__(self, n_classes=6):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 24, 5, stride=2, padding=2, bias=False),
            nn.BatchNorm2d(24),
            nn.ReLU(inplace=True),
            nn.Conv2d(24, 48, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(48),
            nn.ReLU(inplace=True),
            nn.Dropout2d(0.1),
            nn.Conv2d(48, 96, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(96),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(96, 64, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(inplace=True),
            nn.Linear(64, n_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def steel_images(n, seed):
    g = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.rand(n, 1, 128, 128, generator=g), torch.randint(0, 6, (n,), generator=g))


def build_tta_engine(model, device):
    @torch.no_grad()
    def tta_step(engine, batch):
        model.eval()
        x, y = batch[0].to(device), batch[1].to(device)
        views = [x, torch.flip(x, dims=[3]), torch.flip(x, dims=[2]), torch.rot90(x, 1, dims=[2, 3])]
        probs = torch.stack([F.softmax(model(v), dim=1) for v in views]).mean(0)
        return probs, y

    engine = Engine(tta_step)
    Accuracy().attach(engine, "accuracy")
    ConfusionMatrix(num_classes=6).attach(engine, "cm")
    return engine


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", default="ckpt/defects")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(steel_images(4000, 0), batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(steel_images(800, 1), batch_size=200)
    test_loader = DataLoader(steel_images(800, 2), batch_size=100)

    model = DefectNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    criterion = nn.CrossEntropyLoss()

    trainer = create_supervised_trainer(model, optimizer, criterion, device=device)
    val_metrics = {"accuracy": Accuracy(), "loss": Loss(criterion)}
    evaluator = create_supervised_evaluator(model, metrics=val_metrics, device=device)

    @trainer.on(Events.EPOCH_COMPLETED)
    def run_validation(engine):
        evaluator.run(val_loader)
        m = evaluator.state.metrics
        print(f"epoch {engine.state.epoch}: val acc {m['accuracy']:.4f} loss {m['loss']:.4f}")

    def score(engine):
        return engine.state.metrics["accuracy"]

    to_save = {"model": model}
    best_ckpt = Checkpoint(
        to_save, DiskSaver(args.out, require_empty=False), n_saved=1,
        score_function=score, score_name="val_acc",
        global_step_transform=global_step_from_engine(trainer),
    )
    evaluator.add_event_handler(Events.COMPLETED, best_ckpt)
    evaluator.add_event_handler(Events.COMPLETED, EarlyStopping(patience=5, score_function=score, trainer=trainer))

    trainer.run(train_loader, max_epochs=args.epochs)

    Checkpoint.load_objects(to_load=to_save, checkpoint=torch.load(best_ckpt.last_checkpoint, map_location=device))
    tester = build_tta_engine(model, device)
    tester.run(test_loader)
    print("test accuracy (TTA):", tester.state.metrics["accuracy"])
    print(tester.state.metrics["cm"])


if __name__ == "__main__":
    main()
