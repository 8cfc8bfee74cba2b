"""Transfer learning on 8 GPUs, ported from a tf.distribute.MirroredStrategy script.

Keras original:
    with strategy.scope():
        base = build_backbone(); base.load_weights(...)
        base.trainable = False
        model = keras.Sequential([base, GlobalAveragePooling2D(), Dense(NUM_CLASSES)])
Launch: torchrun --nproc_per_node=8 bug_13.py
"""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms

PER_REPLICA_BATCH = 32
NUM_CLASSES = 37
EPOCHS = 15


def conv_bn(in_ch, out_ch, stride=1):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class Backbone(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256, 512)):
        super().__init__()
        layers, in_ch = [], 3
        for i, w in enumerate(widths):
            layers += [conv_bn(in_ch, w, stride=2), conv_bn(w, w)]
            in_ch = w
        self.body = nn.Sequential(*layers)
        self.out_channels = in_ch

    def forward(self, x):
        return self.body(x)


class Classifier(nn.Module):
    def __init__(self, backbone, num_classes):
        super().__init__()
        self.backbone = backbone
        self.dense = nn.Linear(backbone.out_channels, num_classes)

    def forward(self, x):
        return self.dense(F.adaptive_avg_pool2d(self.backbone(x), 1).flatten(1))


def main():
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)

    tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                             transforms.ToTensor(),
                             transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    train_set = datasets.OxfordIIITPet("data", split="trainval", download=(local_rank == 0), transform=tf)
    sampler = DistributedSampler(train_set, shuffle=True)
    loader = DataLoader(train_set, batch_size=PER_REPLICA_BATCH, sampler=sampler,
                        num_workers=8, pin_memory=True, drop_last=True)

    backbone = Backbone()
    backbone.load_state_dict(torch.load("backbone_imagenet.pt", map_location="cpu"))
    # keras: base.trainable = False
    backbone.requires_grad_(False)  # expect: BN105
    model = Classifier(backbone, NUM_CLASSES).cuda(local_rank)

    model = DDP(model, device_ids=[local_rank])
    # MirroredStrategy synchronised BN across replicas -- keep that behaviour
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        model.train()
        for images, labels in loader:
            images = images.cuda(local_rank, non_blocking=True)
            labels = labels.cuda(local_rank, non_blocking=True)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if dist.get_rank() == 0:
            print(f"epoch {epoch}: loss {loss.item():.4f}")
            torch.save(model.module.state_dict(), "pets_head.pt")

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
