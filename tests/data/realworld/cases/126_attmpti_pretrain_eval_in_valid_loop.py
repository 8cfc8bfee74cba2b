import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim
from torch.utils.data import DataLoader

from dataloaders.loader import MyPretrainDataset
from models.dgcnn import DGCNN


class DGCNNSeg(nn.Module):
    def __init__(self, args, num_classes):
        super().__init__()
        self.encoder = DGCNN(args.edgeconv_widths, args.dgcnn_mlp_widths, args.pc_in_dim, k=args.dgcnn_k)
        self.segmenter = nn.Sequential(
            nn.Conv1d(args.dgcnn_mlp_widths[-1], 256, 1, bias=False), nn.BatchNorm1d(256), nn.LeakyReLU(0.2),
            nn.Conv1d(256, 128, 1), nn.BatchNorm1d(128), nn.LeakyReLU(0.2),
            nn.Dropout(0.3), nn.Conv1d(128, num_classes, 1))

    def forward(self, pc):
        return self.segmenter(self.encoder(pc))


def pretrain(args, train_dataset, valid_dataset, num_classes):
    TRAIN_LOADER = DataLoader(train_dataset, batch_size=args.batch_size, shuffle=True, drop_last=True)
    VALID_LOADER = DataLoader(valid_dataset, batch_size=args.batch_size, shuffle=False, drop_last=True)
    model = DGCNNSeg(args, num_classes=num_classes)
    if torch.cuda.is_available():
        model.cuda()
    optimizer = optim.Adam([{"params": model.encoder.parameters(), "lr": args.pretrain_lr},
                            {"params": model.segmenter.parameters(), "lr": args.pretrain_lr}],
                           weight_decay=args.pretrain_weight_decay)
    for epoch in range(args.n_iters):
        for batch_idx, (ptclouds, labels) in enumerate(TRAIN_LOADER):
            logits = model(ptclouds.cuda())
            loss = F.cross_entropy(logits, labels.cuda())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        if (epoch + 1) % args.eval_interval == 0:
            pred_total = []
            with torch.no_grad():
                for i, (ptclouds, labels) in enumerate(VALID_LOADER):
                    model.eval()
                    logits = model(ptclouds.cuda())
                    _, preds = torch.max(logits.detach(), dim=1, keepdim=False)
                    pred_total.append(preds.cpu())
            print("epoch", epoch, "validated on", len(pred_total), "batches")
