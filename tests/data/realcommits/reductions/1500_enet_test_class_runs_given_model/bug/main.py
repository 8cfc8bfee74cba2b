from model import Net
from test import Test


def main(train_loader, val_loader, criterion, optimizer):
    model = Net()
    val = Test(model, val_loader, criterion)
    for epoch in range(10):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        print(val.run_epoch())
