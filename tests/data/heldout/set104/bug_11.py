"""Linear-probe / head fine-tuning of a pretrained backbone on a new dataset with DDP.

The backbone checkpoint comes from our self-supervised pretraining run; only the
classification head is trained here.
"""
import argparse
import logging
import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms as T

log = logging.getLogger(__name__)


def conv_bn_act(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Backbone(nn.Module):
    out_dim = 512

    def __init__(self):
        super().__init__()
        self.stage1 = nn.Sequential(conv_bn_act(3, 64, 2), conv_bn_act(64, 64))
        self.stage2 = nn.Sequential(conv_bn_act(64, 128, 2), conv_bn_act(128, 128))
        self.stage3 = nn.Sequential(conv_bn_act(128, 256, 2), conv_bn_act(256, 256))
        self.stage4 = nn.Sequential(conv_bn_act(256, 512, 2), conv_bn_act(512, 512))

    def forward(self, x):
        x = self.stage4(self.stage3(self.stage2(self.stage1(x))))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


class Classifier(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.backbone = Backbone()
        self.head = nn.Linear(Backbone.out_dim, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


def get_parser():
    p = argparse.ArgumentParser("head fine-tuning")
    p.add_argument("--data-dir", default="/data/food101")
    p.add_argument("--pretrained", default="ssl_backbone.pth")
    p.add_argument("--num-classes", type=int, default=101)
    p.add_argument("--batch-size", type=int, default=32, help="per GPU")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--output", default="finetune_out")
    return p


@torch.no_grad()
def validate(model, loader, device):
    top1 = torch.zeros(2, device=device)
    for x, y in loader:
        x, y = x.cuda(device, non_blocking=True), y.cuda(device, non_blocking=True)
        out = model(x)  # expect: BN101
        top1[0] += (out.argmax(1) == y).float().sum()
        top1[1] += y.shape[0]
    dist.all_reduce(top1)
    return (top1[0] / top1[1]).item()


def main(args):
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)
    if dist.get_rank() == 0:
        logging.basicConfig(level=logging.INFO)

    normalize = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_ds = datasets.ImageFolder(os.path.join(args.data_dir, "train"), T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), normalize]))
    val_ds = datasets.ImageFolder(os.path.join(args.data_dir, "val"), T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), normalize]))
    train_sampler = DistributedSampler(train_ds)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=train_sampler, num_workers=8, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=args.batch_size, sampler=DistributedSampler(val_ds, shuffle=False), num_workers=8)

    model = Classifier(args.num_classes)
    state = torch.load(args.pretrained, map_location="cpu")
    missing, unexpected = model.backbone.load_state_dict(state, strict=False)
    log.info("loaded backbone: missing=%s unexpected=%s", missing, unexpected)

    # freeze everything except the new head
    for p in model.backbone.parameters():
        p.requires_grad = False  # expect: BN105
    model = model.to(device)
    model = DDP(model, device_ids=[local_rank])

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)

    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = validate(model, val_loader, device)
        log.info("epoch %d  top1 %.2f", epoch, 100 * acc)
        if dist.get_rank() == 0:
            os.makedirs(args.output, exist_ok=True)
            torch.save(model.module.head.state_dict(), os.path.join(args.output, "head.pth"))

    dist.destroy_process_group()


if __name__ == "__main__":
    main(get_parser().parse_args())
