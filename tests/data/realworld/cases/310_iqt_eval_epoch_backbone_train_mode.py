import os

import numpy as np
import torch
import torch.nn as nn
from scipy.stats import spearmanr, pearsonr
from torch.utils.data import DataLoader
from torchvision import transforms
from tqdm import tqdm

from data.data_PIPAL import IQADataset
from model.model_main import IQARegression
from option.config import Config
from utils.util import RandCrop, RandHorizontalFlip, RandRotation, Normalize, ToTensor


class BasicConv2d(nn.Module):

    def __init__(self, in_planes, out_planes, kernel_size, stride, padding=0):
        super(BasicConv2d, self).__init__()
        self.conv = nn.Conv2d(in_planes, out_planes, kernel_size=kernel_size, stride=stride, padding=padding,
                              bias=False)
        self.bn = nn.BatchNorm2d(out_planes, eps=0.001, momentum=0.1, affine=True)
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x):
        x = self.conv(x)
        x = self.bn(x)
        x = self.relu(x)
        return x


class Mixed_5b(nn.Module):

    def __init__(self):
        super(Mixed_5b, self).__init__()
        self.branch0 = BasicConv2d(192, 96, kernel_size=1, stride=1)
        self.branch1 = nn.Sequential(
            BasicConv2d(192, 48, kernel_size=1, stride=1),
            BasicConv2d(48, 64, kernel_size=5, stride=1, padding=2)
        )
        self.branch2 = nn.Sequential(
            BasicConv2d(192, 64, kernel_size=1, stride=1),
            BasicConv2d(64, 96, kernel_size=3, stride=1, padding=1),
            BasicConv2d(96, 96, kernel_size=3, stride=1, padding=1)
        )
        self.branch3 = nn.Sequential(
            nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
            BasicConv2d(192, 64, kernel_size=1, stride=1)
        )

    def forward(self, x):
        x0 = self.branch0(x)
        x1 = self.branch1(x)
        x2 = self.branch2(x)
        x3 = self.branch3(x)
        return torch.cat((x0, x1, x2, x3), 1)


class Block35(nn.Module):

    def __init__(self, scale=1.0):
        super(Block35, self).__init__()
        self.scale = scale
        self.branch0 = BasicConv2d(320, 32, kernel_size=1, stride=1)
        self.branch1 = nn.Sequential(
            BasicConv2d(320, 32, kernel_size=1, stride=1),
            BasicConv2d(32, 32, kernel_size=3, stride=1, padding=1)
        )
        self.branch2 = nn.Sequential(
            BasicConv2d(320, 32, kernel_size=1, stride=1),
            BasicConv2d(32, 48, kernel_size=3, stride=1, padding=1),
            BasicConv2d(48, 64, kernel_size=3, stride=1, padding=1)
        )
        self.conv2d = nn.Conv2d(128, 320, kernel_size=1, stride=1)
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x):
        x0 = self.branch0(x)
        x1 = self.branch1(x)
        x2 = self.branch2(x)
        out = torch.cat((x0, x1, x2), 1)
        out = self.conv2d(out)
        out = out * self.scale + x
        return self.relu(out)


class InceptionResNetV2(nn.Module):

    def __init__(self, num_classes=1001):
        super(InceptionResNetV2, self).__init__()
        self.conv2d_1a = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.conv2d_2a = BasicConv2d(32, 32, kernel_size=3, stride=1)
        self.conv2d_2b = BasicConv2d(32, 64, kernel_size=3, stride=1, padding=1)
        self.maxpool_3a = nn.MaxPool2d(3, stride=2)
        self.conv2d_3b = BasicConv2d(64, 80, kernel_size=1, stride=1)
        self.conv2d_4a = BasicConv2d(80, 192, kernel_size=3, stride=1)
        self.maxpool_5a = nn.MaxPool2d(3, stride=2)
        self.mixed_5b = Mixed_5b()
        self.repeat = nn.Sequential(*[Block35(scale=0.17) for _ in range(10)])

    def forward(self, input):
        x = self.conv2d_1a(input)
        x = self.conv2d_2a(x)
        x = self.conv2d_2b(x)
        x = self.maxpool_3a(x)
        x = self.conv2d_3b(x)
        x = self.conv2d_4a(x)
        x = self.maxpool_5a(x)
        x = self.mixed_5b(x)
        return self.repeat(x)


def inceptionresnetv2(num_classes=1000, pretrained='imagenet'):
    model = InceptionResNetV2(num_classes=1001)
    if pretrained:
        model.load_state_dict(torch.load('inceptionresnetv2-520b38e4.pth'), strict=False)
    return model


class SaveOutput:
    def __init__(self):
        self.outputs = []

    def __call__(self, module, module_in, module_out):
        self.outputs.append(module_out)

    def clear(self):
        self.outputs = []


def train_epoch(config, epoch, model_transformer, model_backbone, save_output, criterion, optimizer, scheduler,
                train_loader):
    losses = []
    model_transformer.train()

    enc_inputs = torch.ones(config.batch_size, config.n_enc_seq + 1).to(config.device)
    dec_inputs = torch.ones(config.batch_size, config.n_dec_seq + 1).to(config.device)

    pred_epoch = []
    labels_epoch = []

    for data in tqdm(train_loader):
        r_img, d_img = data['r_img'].to(config.device), data['d_img'].to(config.device)
        labels = data['score']
        labels = torch.squeeze(labels.type(torch.FloatTensor)).to(config.device)

        x_ref = model_backbone(r_img)
        feat_ref = torch.cat((save_output.outputs[0], save_output.outputs[2], save_output.outputs[4],
                              save_output.outputs[6], save_output.outputs[8], save_output.outputs[10]), dim=1)
        save_output.outputs.clear()

        x_dis = model_backbone(d_img)
        feat_dis = torch.cat((save_output.outputs[0], save_output.outputs[2], save_output.outputs[4],
                              save_output.outputs[6], save_output.outputs[8], save_output.outputs[10]), dim=1)
        save_output.outputs.clear()

        feat_diff = feat_ref - feat_dis
        enc_inputs_embed = feat_diff
        dec_inputs_embed = feat_ref

        optimizer.zero_grad()

        pred = model_transformer(enc_inputs, enc_inputs_embed, dec_inputs, dec_inputs_embed)
        loss = criterion(torch.squeeze(pred), labels)
        loss_val = loss.item()
        losses.append(loss_val)

        loss.backward()
        optimizer.step()
        scheduler.step()

        pred_epoch = np.append(pred_epoch, pred.data.cpu().numpy())
        labels_epoch = np.append(labels_epoch, labels.data.cpu().numpy())

    rho_s, _ = spearmanr(np.squeeze(pred_epoch), np.squeeze(labels_epoch))
    rho_p, _ = pearsonr(np.squeeze(pred_epoch), np.squeeze(labels_epoch))
    print('[train] epoch:%d / loss:%f / SROCC:%4f / PLCC:%4f' % (epoch + 1, loss.item(), rho_s, rho_p))

    if (epoch + 1) % config.save_freq == 0:
        weights_file = os.path.join(config.snap_path, "epoch%d.pth" % (epoch + 1))
        torch.save({
            'epoch': epoch,
            'model_state_dict': model_transformer.state_dict(),
            'optimizer_state_dict': optimizer.state_dict(),
            'scheduler_state_dict': scheduler.state_dict(),
            'loss': loss
        }, weights_file)

    return np.mean(losses), rho_s, rho_p


def eval_epoch(config, epoch, model_transformer, model_backbone, save_output, criterion, test_loader):
    with torch.no_grad():
        losses = []
        model_transformer.eval()

        enc_inputs = torch.ones(config.batch_size, config.n_enc_seq + 1).to(config.device)
        dec_inputs = torch.ones(config.batch_size, config.n_dec_seq + 1).to(config.device)

        pred_epoch = []
        labels_epoch = []

        for data in tqdm(test_loader):
            r_img, d_img = data['r_img'].to(config.device), data['d_img'].to(config.device)
            labels = data['score']
            labels = torch.squeeze(labels.type(torch.FloatTensor)).to(config.device)

            x_ref = model_backbone(r_img)
            feat_ref = torch.cat((save_output.outputs[0], save_output.outputs[2], save_output.outputs[4],
                                  save_output.outputs[6], save_output.outputs[8], save_output.outputs[10]), dim=1)
            save_output.outputs.clear()

            x_dis = model_backbone(d_img)
            feat_dis = torch.cat((save_output.outputs[0], save_output.outputs[2], save_output.outputs[4],
                                  save_output.outputs[6], save_output.outputs[8], save_output.outputs[10]), dim=1)
            save_output.outputs.clear()

            feat_diff = feat_ref - feat_dis
            enc_inputs_embed = feat_diff
            dec_inputs_embed = feat_ref

            pred = model_transformer(enc_inputs, enc_inputs_embed, dec_inputs, dec_inputs_embed)

            loss = criterion(torch.squeeze(pred), labels)
            losses.append(loss.item())

            pred_epoch = np.append(pred_epoch, pred.data.cpu().numpy())
            labels_epoch = np.append(labels_epoch, labels.data.cpu().numpy())

        rho_s, _ = spearmanr(np.squeeze(pred_epoch), np.squeeze(labels_epoch))
        rho_p, _ = pearsonr(np.squeeze(pred_epoch), np.squeeze(labels_epoch))
        print('test epoch:%d / loss:%f /SROCC:%4f / PLCC:%4f' % (epoch + 1, loss.item(), rho_s, rho_p))

        return np.mean(losses), rho_s, rho_p


config = Config({
    "GPU_ID": "0",
    "num_workers": 8,
    "db_name": "PIPAL",
    "db_path": "/mnt/Dataset/anse_data/IQAdata/PIPAL",
    "snap_path": "./weights/PIPAL",
    "txt_file_name": "./IQA_list/PIPAL.txt",
    "train_size": 0.8,
    "scenes": "all",
    "n_enc_seq": 21 * 21,
    "n_dec_seq": 21 * 21,
    "n_layer": 1,
    "d_hidn": 128,
    "i_pad": 0,
    "d_ff": 1024,
    "d_MLP_head": 128,
    "n_head": 4,
    "d_head": 128,
    "dropout": 0.1,
    "emb_dropout": 0.1,
    "layer_norm_epsilon": 1e-12,
    "n_output": 1,
    "Grad_layers": 6,
    "batch_size": 16,
    "learning_rate": 1e-4,
    "weight_decay": 1e-5,
    "n_epoch": 300,
    "val_freq": 1,
    "save_freq": 5,
    "checkpoint": None,
    "crop_size": 192,
    "test_ensemble": False,
    "n_ensemble": 20,
    "T_max": 3e4,
    "eta_min": 0,
})
config.device = torch.device("cuda:%s" % config.GPU_ID if torch.cuda.is_available() else "cpu")

train_dataset = IQADataset(
    db_path=config.db_path,
    txt_file_name=config.txt_file_name,
    transform=transforms.Compose([RandCrop(config.crop_size), Normalize(0.5, 0.5), RandHorizontalFlip(),
                                  RandRotation(), ToTensor()]),
    train_mode=True,
    train_size=config.train_size
)
test_dataset = IQADataset(
    db_path=config.db_path,
    txt_file_name=config.txt_file_name,
    transform=transforms.Compose([RandCrop(config.crop_size), Normalize(0.5, 0.5), ToTensor()]),
    train_mode=False,
    train_size=config.train_size
)
train_loader = DataLoader(dataset=train_dataset, batch_size=config.batch_size, num_workers=config.num_workers,
                          drop_last=True, shuffle=True)
test_loader = DataLoader(dataset=test_dataset, batch_size=config.batch_size, num_workers=config.num_workers,
                         drop_last=True, shuffle=True)

model_transformer = IQARegression(config).to(config.device)
model_backbone = inceptionresnetv2(num_classes=1001, pretrained='imagenet+background').to(config.device)

save_output = SaveOutput()
hook_handles = []
for layer in model_backbone.modules():
    if isinstance(layer, Mixed_5b):
        handle = layer.register_forward_hook(save_output)
        hook_handles.append(handle)
    elif isinstance(layer, Block35):
        handle = layer.register_forward_hook(save_output)
        hook_handles.append(handle)

criterion = torch.nn.MSELoss()
optimizer = torch.optim.Adam(model_transformer.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.T_max, eta_min=config.eta_min)

start_epoch = 0

if not os.path.exists(config.snap_path):
    os.mkdir(config.snap_path)

for epoch in range(start_epoch, config.n_epoch):
    loss, rho_s, rho_p = train_epoch(config, epoch, model_transformer, model_backbone, save_output, criterion,
                                     optimizer, scheduler, train_loader)

    if (epoch + 1) % config.val_freq == 0:
        loss, rho_s, rho_p = eval_epoch(config, epoch, model_transformer, model_backbone, save_output, criterion,
                                        test_loader)
