import torch
from src.model import Net, SmallNet

SMALL = False


def train_epoch(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        preds = model.predict(x)


def main():
    if SMALL:
        model = SmallNet()
    else:
        model = Net()
    model = model.to("cuda")
    optimizer = torch.optim.Adam(model.parameters())
    for epoch in range(10):
        train_epoch(model, torch.load("l.pt"), optimizer)


if __name__ == "__main__":
    main()
