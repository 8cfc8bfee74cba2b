#!/usr/bin/env python
# -*- coding: utf-8 -*-
from time import time
import datetime
import argparse

import numpy as np
import torch
import torch.nn as nn
from tqdm import tqdm
from torch.utils.tensorboard import SummaryWriter

import resnet_pre
import resnet_post
import ponnet_dataloader_handcamv2 as dataloader


class attention_branch(nn.Module):
    def __init__(self):
        super(attention_branch, self).__init__()

        self.resnet_pre = resnet_pre.resnet18(pretrained=True)

        self.extractor = nn.Sequential(nn.BatchNorm2d(256), nn.Conv2d(256, 1, 1))

        self.attentionbranch2attentionmechanism = nn.Sequential(nn.ReLU(inplace=True), nn.Conv2d(1, 1, 1), nn.BatchNorm2d(1), nn.Sigmoid())

        self.perception_branch = nn.Sequential(resnet_post.resnet18(pretrained=True), nn.AvgPool2d(7), nn.Flatten(), nn.BatchNorm1d(512))
        self.attentionbranch2classifier = nn.Sequential(nn.AvgPool2d(14), nn.Linear(1, 2), nn.Softmax(dim=3))

    def forward(self, x):
        h = self.resnet_pre(x)
        identity = h.clone()

        h = self.extractor(h)
        identity4 = h.clone()

        h = self.attentionbranch2attentionmechanism(h)
        self.visualization_att_map = h.clone()

        h = h * identity
        h = h + identity

        h = self.perception_branch(h)
        outputs = h.clone()

        h2 = self.attentionbranch2classifier(identity4)
        att_outputs = h2.clone()

        return outputs, att_outputs, self.visualization_att_map


class balancing(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.W = nn.Parameter(torch.Tensor(np.random.normal(size=(input_dim, output_dim))))
        self.b = nn.Parameter(torch.Tensor(np.zeros(output_dim)))
        self.v = nn.Parameter(torch.Tensor(np.zeros(output_dim)))
        self.tanh = nn.Tanh()

    def forward(self, x):
        return torch.matmul(self.tanh(torch.matmul(x, self.W) + self.b), torch.reshape(torch.t(self.v), (256, 1)))


class parception_branch(nn.Module):
    def __init__(self):
        super(parception_branch, self).__init__()

        num_classes = 2
        self.linear2_1 = nn.Linear(512, 256)
        self.linear2_2 = nn.Linear(512, 256)

        self.rgb_balancing = balancing(256, 256)
        self.depth_balancing = balancing(256, 256)

        self.parception1 = nn.Sequential(nn.BatchNorm1d(260), nn.Linear(260, 256), nn.ReLU(inplace=True),
                                         nn.Linear(256, 16), nn.Linear(16, num_classes), nn.Softmax(dim=1))

    def forward(self, input_rgb, input_depth, input_meta):
        h_rgb = self.linear2_1(input_rgb)
        h_depth = self.linear2_2(input_depth)
        e_rgb = self.rgb_balancing(h_rgb)
        e_depth = self.depth_balancing(h_depth)
        exp_sum = torch.exp(e_rgb) + torch.exp(e_depth)
        alpha_rgb = torch.exp(e_rgb) / exp_sum
        alpha_depth = torch.exp(e_depth) / exp_sum
        balanced_att = (alpha_rgb * h_rgb) + (alpha_depth * h_depth)

        input_list = [balanced_att, input_meta]
        input_concat = torch.cat(input_list, dim=1)

        y = self.parception1(input_concat)
        return y


class ponnet(nn.Module):
    def __init__(self):
        super(ponnet, self).__init__()

        self.upsample = nn.Upsample([224, 224], mode='bilinear', align_corners=False)

        self.rgb_attention_branch = attention_branch()
        self.depth_attention_branch = attention_branch()
        self.hand_attention_branch = attention_branch()

        self.perception_branch = parception_branch()

    def forward(self, input_rgb, input_depth, input_meta):
        input_rgb = self.upsample(input_rgb)
        input_depth = self.upsample(input_depth)

        rgb_out, rgb_att_out, rgb_visual = self.rgb_attention_branch(input_rgb)
        depth_out, depth_att_out, depth_visual = self.depth_attention_branch(input_depth)
        parception_out = self.perception_branch(rgb_out, depth_out, input_meta)

        rgb_att_outputs = rgb_att_out.squeeze()
        depth_att_outputs = depth_att_out.squeeze()

        return [rgb_att_outputs, depth_att_outputs], [parception_out], [rgb_visual, depth_visual]


parser = argparse.ArgumentParser()
parser.add_argument('-b', '--batchsize', default='150', type=int)
parser.add_argument('-t', '--target_task', default='4', type=int)
parser.add_argument('-f', '--path')
parser.add_argument('-m', '--model', default='1', type=int)
args = parser.parse_args()
model_name = "baseline"

if __name__ == "__main__":

    use_cuda = torch.cuda.is_available()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'

    batch_size = args.batchsize
    epoch_num = 10
    target_label = args.target_task
    Weight_RGB = 1
    Weight_Depth = 1
    Weight_perception = 1
    learning_rate = 0.00001

    model = ponnet()
    if use_cuda:
        model.cuda()

    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

    ponnet_dataset = dataloader.PonNetDataset(load_mode="train", dataset_ver="v1")
    ponnet_loader = torch.utils.data.DataLoader(dataset=ponnet_dataset, batch_size=batch_size, shuffle=True)
    valid_dataset = dataloader.PonNetDataset(load_mode="valid", dataset_ver="v1")
    valid_loader = torch.utils.data.DataLoader(dataset=valid_dataset, batch_size=batch_size)
    test_dataset = dataloader.PonNetDataset(load_mode="test", dataset_ver="v1")
    test_loader = torch.utils.data.DataLoader(dataset=test_dataset, batch_size=batch_size)

    criterion = nn.CrossEntropyLoss()
    if use_cuda:
        criterion.cuda()

    model.train()

    now = datetime.datetime.now()
    logdir_name = "./logs/" + model_name + "/" + now.strftime('%Y%m%d_%H%M%S') + "/"
    writer = SummaryWriter(log_dir=logdir_name)

    start = time()
    step = 0
    best_accuracy = 0
    for epoch in tqdm(range(1, epoch_num + 1)):
        train_loss = 0
        train_y_acc1 = 0
        valid_loss = 0
        valid_y_acc1 = 0
        # ----train----
        model.train()
        for i, (rgb_images, depth_images, meta_datas, y_labels) in tqdm(enumerate(ponnet_loader)):
            step += 1
            rgb_images, depth_images = rgb_images.to(device), depth_images.to(device)
            meta_datas, y_labels = meta_datas.to(device), y_labels.to(device)

            optimizer.zero_grad()

            att_out, y_label_out1, visualization_attention_map = model(rgb_images, depth_images, meta_datas)

            y_labels_acc1 = (y_labels[:, target_label]).long()

            loss_1 = criterion(y_label_out1[0], y_labels_acc1)
            loss_2 = criterion(att_out[0], y_labels_acc1)
            loss_3 = criterion(att_out[1], y_labels_acc1)
            loss = (Weight_perception * loss_1) + (Weight_RGB * loss_2) + (Weight_Depth * loss_3)
            loss.backward(retain_graph=True)

            train_loss += loss.item()
            train_y_acc1 += (y_label_out1[0].max(1)[1] == y_labels_acc1).sum().item()
            all_train_y_acc = train_y_acc1
            optimizer.step()

        avg_train_loss = train_loss / len(ponnet_loader.dataset)
        avg_train_acc = all_train_y_acc / len(ponnet_loader.dataset)
        writer.add_scalar("Train/loss", avg_train_loss, epoch)
        writer.add_scalar("Train/acc", avg_train_acc, epoch)

        # ---valid--------------------------------
        model.eval
        with torch.no_grad():
            for i, (rgb_images, depth_images, meta_datas, y_labels) in tqdm(enumerate(valid_loader)):
                rgb_images, depth_images = rgb_images.to(device), depth_images.to(device)
                meta_datas, y_labels = meta_datas.to(device), y_labels.to(device)

                att_out, y_label_out1, visualization_attention_map = model(rgb_images, depth_images, meta_datas)

                y_labels_acc1 = (y_labels[:, target_label]).long()

                vall_loss_A = criterion(y_label_out1[0], y_labels_acc1)
                vall_loss_B = criterion(att_out[0], y_labels_acc1)
                vall_loss_C = criterion(att_out[0], y_labels_acc1)
                vall_loss_Total = vall_loss_A + vall_loss_B + vall_loss_C

                valid_loss += vall_loss_Total.item()
                valid_y_acc1 += (y_label_out1[0].max(1)[1] == y_labels_acc1).sum().item()

        avg_valid_loss = valid_loss / len(valid_loader.dataset)
        avg_valid_acc = valid_y_acc1 / len(valid_loader.dataset)
        writer.add_scalar("Valid/loss", avg_valid_loss, epoch)
        writer.add_scalar("Valid/acc", avg_valid_acc, epoch)

        if best_accuracy < avg_valid_acc:
            best_accuracy = avg_valid_acc
            best_epcoh = epoch
            torch.save(model.state_dict(), logdir_name + "best_epoch_" + str(best_epcoh) + "_valid_acc" + str(best_accuracy) + '_model.ckpt')
            test_acc = 0
            model.eval
            with torch.no_grad():
                for i, (rgb_images, depth_images, meta_datas, y_labels) in tqdm(enumerate(test_loader)):
                    rgb_images, depth_images = rgb_images.to(device), depth_images.to(device)
                    meta_datas, y_labels = meta_datas.to(device), y_labels.to(device)

                    att_out, y_label_out1, visualization_attention_map = model(rgb_images, depth_images, meta_datas)

                    y_labels_acc1 = (y_labels[:, target_label]).long()
                    test_acc += (y_label_out1[0].max(1)[1] == y_labels_acc1).sum().item()
            avg_test_acc = test_acc / len(test_loader.dataset)
            tqdm.write('test_acc: {test_acc:.4f}'.format(test_acc=avg_test_acc))

        if epoch % 10 == 0:
            torch.save(model.state_dict(), logdir_name + str(epoch) + '_model.ckpt')

    writer.close()
    torch.save(model.state_dict(), logdir_name + 'model.ckpt')
