import argparse
import collections

import numpy as np
import torch
import torch.optim as optim

import model
from dataloader import collater
from retinanet import losses


def main(dataloader_train, dataloader_val, num_classes):
    parser = argparse.ArgumentParser(description="Simple training script for training a RetinaNet network.")
    parser.add_argument("--depth", help="Resnet depth, must be one of 18, 34, 50, 101, 152", type=int, default=50)
    parser.add_argument("--epochs", help="Number of epochs", type=int, default=100)
    parser = parser.parse_args()

    if parser.depth == 50:
        retinanet = model.resnet50(num_classes=num_classes, pretrained=True)
    elif parser.depth == 101:
        retinanet = model.resnet101(num_classes=num_classes, pretrained=True)
    else:
        raise ValueError("Unsupported model depth, must be one of 18, 34, 50, 101, 152")
    retinanet = retinanet.cuda()
    retinanet.training = True
    optimizer = optim.Adam(retinanet.parameters(), lr=1e-5)
    total_loss = losses.loss
    loss_hist = collections.deque(maxlen=500)

    for epoch_num in range(parser.epochs):
        retinanet.train()
        retinanet.freeze_bn()
        for iter_num, data in enumerate(dataloader_train):
            optimizer.zero_grad()
            classification, regression, anchors = retinanet(data["img"].cuda().float())
            classification_loss, regression_loss = total_loss(classification, regression, anchors, data["annot"])
            loss = classification_loss + regression_loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(retinanet.parameters(), 0.1)
            optimizer.step()
            loss_hist.append(float(loss))

        # validation loss: every BatchNorm is frozen in eval by freeze_bn()
        total_loss_joint = 0.0
        for iter_num, data in enumerate(dataloader_val):
            with torch.no_grad():
                classification, regression, anchors = retinanet(data["img"].cuda().float())
                classification_loss, regression_loss = total_loss(classification, regression, anchors, data["annot"])
                total_loss_joint += float(classification_loss + regression_loss)
        print("Validation epoch: {} | Total loss: {:1.5f}".format(epoch_num, total_loss_joint / len(dataloader_val)))

    retinanet.eval()
    torch.save(retinanet, "model_final.pt")
