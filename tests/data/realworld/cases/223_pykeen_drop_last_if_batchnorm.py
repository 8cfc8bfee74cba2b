import torch
import torch.nn as nn
from torch.utils.data import DataLoader


class ConvE(nn.Module):
    def __init__(self, num_entities, embedding_dim=200, output_channels=32, embedding_height=10):
        super().__init__()
        self.entity_embeddings = nn.Embedding(num_entities, embedding_dim)
        self.bn0 = nn.BatchNorm2d(1)
        self.conv2d = nn.Conv2d(1, output_channels, (3, 3), bias=False)
        self.bn1 = nn.BatchNorm2d(output_channels)
        self.fc = nn.Linear(output_channels * 2 * (embedding_height - 2) * (embedding_dim // embedding_height - 2),
                            embedding_dim)
        self.bn2 = nn.BatchNorm1d(embedding_dim)
        self.embedding_height = embedding_height

    def forward(self, x):
        x = self.bn0(x)
        x = torch.relu(self.bn1(self.conv2d(x)))
        x = self.fc(x.view(x.shape[0], -1))
        return torch.relu(self.bn2(x))


class TrainingLoop:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def _train(self, training_instances, num_epochs=1, batch_size=None, drop_last=None):
        model_contains_batch_norm = any(
            isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm))
            for m in self.model.modules()
        )
        if batch_size == 1 and model_contains_batch_norm:
            raise ValueError("Cannot train a model with batch_size=1 containing BatchNorm layers.")
        if drop_last is None:
            drop_last = model_contains_batch_norm
        train_data_loader = DataLoader(training_instances, batch_size=batch_size, shuffle=True,
                                       drop_last=drop_last)
        for epoch in range(num_epochs):
            self.model.train()
            for batch in train_data_loader:
                self.optimizer.zero_grad()
                loss = self.model(batch).sum()
                loss.backward()
                self.optimizer.step()
