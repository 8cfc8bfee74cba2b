import torch
import torch.nn.functional as F

from nets import WideNet


def pseudo_labels(model, weak):
    model.eval()
    with torch.no_grad():
        probs = torch.softmax(model(weak), dim=1)
    return probs.max(dim=1)


def unlabeled_loss(model, weak, strong):
    confidence, targets = pseudo_labels(model, weak)
    mask = (confidence > 0.95).float()
    return (F.cross_entropy(model(strong), targets, reduction="none") * mask).mean()


def fixmatch_loss(model, x, y, weak, strong):
    return F.cross_entropy(model(x), y) + unlabeled_loss(model, weak, strong)


def main(labeled, unlabeled, epochs):
    model = WideNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03)
    for epoch in range(epochs):
        model.train()
        for (x, y), (weak, strong) in zip(labeled, unlabeled):
            loss = fixmatch_loss(model, x, y, weak, strong)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
