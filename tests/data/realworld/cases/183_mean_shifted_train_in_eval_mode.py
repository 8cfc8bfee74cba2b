import argparse

import torch
import torch.nn.functional as F
import torch.optim as optim
from sklearn.metrics import roc_auc_score

import utils


def contrastive_loss(out_1, out_2, temp=0.25):
    out_1, out_2 = F.normalize(out_1, dim=-1), F.normalize(out_2, dim=-1)
    out = torch.cat([out_1, out_2], dim=0)
    sim = torch.exp(out @ out.t() / temp)
    mask = ~torch.eye(out.size(0), dtype=torch.bool, device=out.device)
    sim = sim.masked_select(mask).view(out.size(0), -1)
    pos = torch.exp(torch.sum(out_1 * out_2, dim=-1) / temp)
    pos = torch.cat([pos, pos], dim=0)
    return (-torch.log(pos / sim.sum(dim=-1))).mean()


def train_model(model, train_loader, test_loader, train_loader_1, device, args):
    model.eval()
    auc, feature_space = get_score(model, device, train_loader, test_loader)
    optimizer = optim.SGD(model.parameters(), lr=args.lr, weight_decay=0.00005)
    center = torch.FloatTensor(feature_space).mean(dim=0).to(device)
    for epoch in range(args.epochs):
        running_loss = run_epoch(model, train_loader_1, optimizer, center, device)
        auc, _ = get_score(model, device, train_loader, test_loader)
        print("Epoch: {}, Loss: {}, AUROC: {}".format(epoch + 1, running_loss, auc))


def run_epoch(model, train_loader, optimizer, center, device):
    total_loss, total_num = 0.0, 0
    for (img1, img2), _ in train_loader:
        img1, img2 = img1.to(device), img2.to(device)
        optimizer.zero_grad()
        loss = contrastive_loss(model(img1) - center, model(img2) - center)
        loss.backward()
        optimizer.step()
        total_num += img1.size(0)
        total_loss += loss.item() * img1.size(0)
    return total_loss / total_num


def get_score(model, device, train_loader, test_loader):
    with torch.no_grad():
        train_feats = torch.cat([model(x.to(device)) for x, _ in train_loader]).cpu().numpy()
        test_feats, labels = [], []
        for x, y in test_loader:
            test_feats.append(model(x.to(device)))
            labels.append(y)
        test_feats = torch.cat(test_feats).cpu().numpy()
    distances = utils.knn_score(train_feats, test_feats)
    return roc_auc_score(torch.cat(labels).numpy(), distances), train_feats


def main(args):
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    model = utils.Model(args.backbone).to(device)  # pretrained torchvision ResNet-152 without its fc
    train_loader, test_loader, train_loader_1 = utils.get_loaders(args.dataset, args.label, args.batch_size, args.backbone)
    train_model(model, train_loader, test_loader, train_loader_1, device, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--epochs", default=20, type=int)
    parser.add_argument("--label", default=0, type=int)
    parser.add_argument("--lr", type=float, default=1e-5)
    parser.add_argument("--batch_size", default=64, type=int)
    parser.add_argument("--backbone", default=152, type=int)
    main(parser.parse_args())
