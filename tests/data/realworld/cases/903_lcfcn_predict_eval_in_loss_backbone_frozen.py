# LCFCN (ServiceNow/LCFCN): lc_loss calls model.train(), then get_blob_dict -> model.predict(),
# which switches the whole model to eval() and never restores train mode before the loss is
# computed and back-propagated.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class BaseModel(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.trained_images = set()
        self.n_classes = n_classes

    def predict(self, batch, method="probs"):
        self.eval()
        with torch.no_grad():
            images = batch["images"].cuda()
            pred_mask = self(images).data.max(1)[1].squeeze().cpu().numpy()
            if method == "blobs":
                return pred_mask[None]
            return pred_mask


class ResFCN(BaseModel):
    def __init__(self, n_classes):
        super().__init__(n_classes)
        resnet50_32s = torchvision.models.resnet50(pretrained=True)
        resnet50_32s.fc = nn.Sequential()
        self.resnet50_32s = resnet50_32s
        self.score_32s = nn.Conv2d(2048, self.n_classes, kernel_size=1)

        # # FREEZE BATCH NORMS
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.requires_grad = False
                m.bias.requires_grad = False

    def forward(self, x):
        self.resnet50_32s.eval()
        input_spatial_dim = x.size()[2:]
        x = self.resnet50_32s.conv1(x)
        x = self.resnet50_32s.bn1(x)
        x = self.resnet50_32s.relu(x)
        x = self.resnet50_32s.maxpool(x)
        x = self.resnet50_32s.layer4(self.resnet50_32s.layer3(
            self.resnet50_32s.layer2(self.resnet50_32s.layer1(x))))
        logits = self.score_32s(x)
        return F.interpolate(logits, size=input_spatial_dim, mode="bilinear", align_corners=True)


@torch.no_grad()
def get_blob_dict(model, batch, training=False):
    blobs = model.predict(batch, method="blobs").squeeze()
    n_fp = int((np.unique(blobs) != 0).sum())
    return {"blobs": blobs, "n_fp": n_fp}


def lc_loss(model, batch):
    model.train()
    N = batch["images"].size(0)
    assert N == 1

    blob_dict = get_blob_dict(model, batch)
    images = batch["images"].cuda()
    points = batch["points"].cuda()

    O = model(images)
    S_log = F.log_softmax(O, 1)
    loss = F.nll_loss(S_log, points, ignore_index=0, reduction='sum')
    if blob_dict["n_fp"] > 0:
        loss += S_log.mean() * 0.0

    model.trained_images.add(batch["image_path"][0])
    return loss / N


def fit(model, dataloader, opt, loss_function, epoch):
    for i, batch in enumerate(dataloader):
        opt.zero_grad()
        loss = loss_function(model, batch)
        loss.backward()
        opt.step()
    return {"epoch": epoch}


def train(train_set, n_classes):
    trainloader = torch.utils.data.DataLoader(train_set, batch_size=1, drop_last=False)
    model = ResFCN(n_classes).cuda()
    opt = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()),
                           lr=1e-5, weight_decay=0.0005)
    for epoch in range(1, 1000):
        fit(model, trainloader, opt, loss_function=lc_loss, epoch=epoch)
