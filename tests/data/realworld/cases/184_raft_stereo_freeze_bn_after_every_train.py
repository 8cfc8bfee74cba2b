import argparse

import torch
import torch.nn as nn
import torch.optim as optim


class ContextEncoder(nn.Module):
    def __init__(self, output_dim=128):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3)
        self.norm1 = nn.BatchNorm2d(64)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(64, output_dim, kernel_size=1)

    def forward(self, x):
        return self.conv2(self.relu1(self.norm1(self.conv1(x))))


class RAFTStereo(nn.Module):
    def __init__(self, args):
        super().__init__()
        self.cnet = ContextEncoder()
        self.head = nn.Conv2d(256, 1, 3, padding=1)

    def freeze_bn(self):
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()

    def forward(self, image1, image2, iters=12, test_mode=False):
        return self.head(torch.cat([self.cnet(image1), self.cnet(image2)], 1))


@torch.no_grad()
def validate_things(model, val_dataset, iters=32):
    model.eval()
    epe_list = []
    for image1, image2, flow_gt in val_dataset:
        flow_pr = model(image1[None].cuda(), image2[None].cuda(), iters=iters, test_mode=True)
        epe_list.append(torch.sum((flow_pr.cpu() - flow_gt) ** 2, dim=1).sqrt().mean().item())
    return {"things-epe": sum(epe_list) / len(epe_list)}


def train(args, train_loader, val_dataset):
    model = nn.DataParallel(RAFTStereo(args))
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.wdecay, eps=1e-8)
    model.cuda()
    model.train()
    model.module.freeze_bn()  # We keep BatchNorm frozen
    total_steps = 0
    while total_steps <= args.num_steps:
        for image1, image2, flow, valid in train_loader:
            optimizer.zero_grad()
            flow_pred = model(image1.cuda(), image2.cuda(), iters=args.train_iters)
            loss = (valid.cuda() * (flow_pred - flow.cuda()).abs()).mean()
            loss.backward()
            optimizer.step()
            if total_steps % 10000 == 9999:
                torch.save(model.state_dict(), "checkpoints/%d_%s.pth" % (total_steps + 1, args.name))
                results = validate_things(model.module, val_dataset, iters=args.valid_iters)
                print(results)
                model.train()
                model.module.freeze_bn()
            total_steps += 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", default="raft-stereo")
    parser.add_argument("--lr", type=float, default=0.0002)
    parser.add_argument("--wdecay", type=float, default=0.00001)
    parser.add_argument("--num_steps", type=int, default=100000)
    parser.add_argument("--train_iters", type=int, default=16)
    parser.add_argument("--valid_iters", type=int, default=32)
    args = parser.parse_args()
