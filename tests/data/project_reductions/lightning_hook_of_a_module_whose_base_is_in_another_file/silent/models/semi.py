import torch
from torch.nn import functional as F

from models import baseline


class TreeModel(baseline.TreeModel):
    def training_step(self, batch, batch_idx):
        (images, labels), unlabeled = batch
        supervised_loss = F.cross_entropy(self.model(images), labels)
        # turn off batch norm for the pseudo-labels
        self.model.eval()
        weak = torch.softmax(self.model(unlabeled), dim=1)
        strong = self.model(unlabeled.flip(-1))
        unsupervised_loss = F.cross_entropy(strong, weak.argmax(1))
        self.model.train()
        return supervised_loss + unsupervised_loss
