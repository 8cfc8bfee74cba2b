import torch

from nets import encoder


def learn_tasks(tasks, criterion, prototypes, epochs=5):
    model = encoder()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for task, loader in enumerate(tasks):
        for epoch in range(epochs):
            model.train()
            for x, y in loader:
                optimizer.zero_grad()
                criterion(model(x), y).backward()
                optimizer.step()
        model.eval()
        for x, y in loader:
            features = model(x).detach()
            prototypes.add(task, features, y)
    return model
