import numpy as np
import torch
from torch import nn


class MLPVanilla(nn.Module):
    def __init__(self, in_features, num_nodes, out_features, batch_norm=True, dropout=0.1):
        super().__init__()
        layers = []
        for n in num_nodes:
            layers += [nn.Linear(in_features, n), nn.ReLU()]
            if batch_norm:
                layers.append(nn.BatchNorm1d(n))
            layers.append(nn.Dropout(dropout))
            in_features = n
        layers.append(nn.Linear(in_features, out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, input):
        return self.net(input)


class Model(object):
    def __init__(self, net, loss, optimizer):
        self.net = net
        self.loss = loss
        self.optimizer = optimizer

    def fit_dataloader(self, dataloader, epochs=1):
        for _ in range(epochs):
            for input, target in dataloader:
                self.optimizer.zero_grad()
                batch_loss = self.loss(self.net(input), target)
                batch_loss.backward()
                self.optimizer.step()

    def score_in_batches_dataloader(self, dataloader, eval_=True):
        if eval_:
            self.net.eval()
        with torch.no_grad():
            batch_scores = [self.loss(self.net(input), target).item() for input, target in dataloader]
        if eval_:
            self.net.train()
        return np.mean(batch_scores)

    def predict_dataloader(self, dataloader, numpy=True, eval_=True, grads=False):
        if eval_:
            self.net.eval()
        with torch.set_grad_enabled(grads):
            preds = [self.net(input) for input in dataloader]
        if eval_:
            self.net.eval()
        preds = torch.cat(preds)
        return preds.numpy() if numpy else preds


if __name__ == "__main__":
    net = MLPVanilla(in_features=9, num_nodes=[32, 32], out_features=1)
    model = Model(net, nn.MSELoss(), torch.optim.Adam(net.parameters(), lr=1e-3))
    train_dl, val_x_dl = torch.load("train_dl.pt"), torch.load("val_x_dl.pt")
    model.fit_dataloader(train_dl, epochs=10)
    val_preds = model.predict_dataloader(val_x_dl)
    model.fit_dataloader(train_dl, epochs=10)  # continues training after a prediction
