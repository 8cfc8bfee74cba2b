from trainer import Trainer
from utils import evaluate


def main(train_loader, test_loader):
    model = Trainer(lr=0.1)
    for epoch in range(10):
        model.model.train()
        for x, y in train_loader:
            model.step(x, y)
    print(evaluate(model, test_loader))
