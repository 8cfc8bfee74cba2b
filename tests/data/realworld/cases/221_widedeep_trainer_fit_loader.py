import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from pytorch_widedeep.training._trainer_utils import wd_train_val_split


class TabMlp(nn.Module):
    def __init__(self, column_idx, continuous_cols, cont_norm_layer="batchnorm", mlp_hidden_dims=(200, 100)):
        super().__init__()
        self.cont_idx = [column_idx[col] for col in continuous_cols]
        if cont_norm_layer == "layernorm":
            self.cont_norm = nn.LayerNorm(len(continuous_cols))
        elif cont_norm_layer == "batchnorm":
            self.cont_norm = nn.BatchNorm1d(len(continuous_cols))
        else:
            self.cont_norm = nn.Identity()
        self.mlp = nn.Sequential(nn.Linear(len(continuous_cols), mlp_hidden_dims[0]), nn.ReLU(),
                                 nn.Linear(mlp_hidden_dims[0], mlp_hidden_dims[1]))

    def forward(self, X):
        x_cont = self.cont_norm(X[:, self.cont_idx].float())
        return self.mlp(x_cont)


class Trainer:
    def __init__(self, model, objective, seed=1, method="regression"):
        self.model = model
        self.objective = objective
        self.seed = seed
        self.method = method
        self.optimizer = torch.optim.Adam(model.parameters())

    def fit(self, X_tab=None, X_train=None, X_val=None, val_split=None, target=None, n_epochs=1,
            batch_size=32, n_cpus=0):
        self.batch_size = batch_size
        train_set, eval_set = wd_train_val_split(self.seed, self.method, None, X_tab, None, None,
                                                 X_train, X_val, val_split, target)
        train_loader = DataLoader(dataset=train_set, batch_size=batch_size, num_workers=n_cpus)
        for epoch in range(n_epochs):
            self.model.train()
            for batch_idx, (data, target_) in enumerate(train_loader):
                self.optimizer.zero_grad()
                y_pred = self.model(data["deeptabular"])
                loss = self.objective(y_pred, target_.view(-1, 1).float())
                loss.backward()
                self.optimizer.step()
        self.model.train()
