import argparse
import math
import os
import random
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.init as init
import torch.optim as optim
import torch.utils.data as data
from scipy.stats import spearmanr, pearsonr
from torch.autograd import Variable

from croppingDataset import GAICD
from mobilenetv2 import MobileNetV2
from roi_align.modules.roi_align import RoIAlignAvg
from rod_align.modules.rod_align import RoDAlignAvg


class mobilenetv2_base(nn.Module):

    def __init__(self, loadweights=True, downsample=4, model_path='pretrained_model/mobilenetv2_1.0-0c6065bc.pth'):
        super(mobilenetv2_base, self).__init__()
        model = MobileNetV2(width_mult=1.0)
        if loadweights:
            model.load_state_dict(torch.load(model_path))
        self.feature3 = nn.Sequential(model.features[:7])
        self.feature4 = nn.Sequential(model.features[7:14])
        self.feature5 = nn.Sequential(model.features[14:])

    def forward(self, x):
        f3 = self.feature3(x)
        f4 = self.feature4(f3)
        f5 = self.feature5(f4)
        return f3, f4, f5


def fc_layers(reddim=32, alignsize=8):
    conv1 = nn.Sequential(nn.Conv2d(reddim, 768, kernel_size=alignsize, padding=0), nn.BatchNorm2d(768), nn.ReLU(inplace=True))
    conv2 = nn.Sequential(nn.Conv2d(768, 128, kernel_size=1), nn.BatchNorm2d(128), nn.ReLU(inplace=True))
    dropout = nn.Dropout(p=0.5)
    conv3 = nn.Conv2d(128, 1, kernel_size=1)
    layers = nn.Sequential(conv1, conv2, dropout, conv3)
    return layers


class crop_model_multi_scale_shared(nn.Module):

    def __init__(self, alignsize=8, reddim=32, loadweight=True, model=None, downsample=4):
        super(crop_model_multi_scale_shared, self).__init__()
        if model == 'mobilenetv2':
            self.Feat_ext = mobilenetv2_base(loadweight, downsample)
            self.DimRed = nn.Conv2d(448, reddim, kernel_size=1, padding=0)
        self.downsample2 = nn.UpsamplingBilinear2d(scale_factor=1.0 / 2.0)
        self.upsample2 = nn.UpsamplingBilinear2d(scale_factor=2.0)
        self.RoIAlign = RoIAlignAvg(alignsize, alignsize, 1.0 / 2 ** downsample)
        self.RoDAlign = RoDAlignAvg(alignsize, alignsize, 1.0 / 2 ** downsample)
        self.FC_layers = fc_layers(reddim * 2, alignsize)

    def forward(self, im_data, boxes):
        f3, f4, f5 = self.Feat_ext(im_data)
        cat_feat = torch.cat((self.downsample2(f3), f4, 0.5 * self.upsample2(f5)), 1)
        red_feat = self.DimRed(cat_feat)
        RoI_feat = self.RoIAlign(red_feat, boxes)
        RoD_feat = self.RoDAlign(red_feat, boxes)
        final_feat = torch.cat((RoI_feat, RoD_feat), 1)
        prediction = self.FC_layers(final_feat)
        return prediction


def xavier(param):
    init.xavier_uniform_(param)


def weights_init(m):
    if isinstance(m, nn.Conv2d):
        xavier(m.weight.data)
        m.bias.data.zero_()


def build_crop_model(scale='single', alignsize=8, reddim=32, loadweight=True, model=None, downsample=4):
    if scale == 'multi':
        return crop_model_multi_scale_shared(alignsize, reddim, loadweight, model, downsample)


SEED = 0
torch.manual_seed(SEED)
np.random.seed(SEED)
random.seed(SEED)

parser = argparse.ArgumentParser(description='Grid anchor based image cropping')
parser.add_argument('--dataset_root', default='dataset/GAIC/', help='Dataset root directory path')
parser.add_argument('--base_model', default='mobilenetv2', help='Pretrained base model')
parser.add_argument('--scale', default='multi', type=str, help='choose single or multi scale')
parser.add_argument('--downsample', default=4, type=int, help='downsample time')
parser.add_argument('--augmentation', default=1, type=int, help='choose single or multi scale')
parser.add_argument('--image_size', default=256, type=int, help='Batch size for training')
parser.add_argument('--align_size', default=9, type=int, help='Spatial size of RoIAlign and RoDAlign')
parser.add_argument('--reduced_dim', default=8, type=int, help='Spatial size of RoIAlign and RoDAlign')
parser.add_argument('--batch_size', default=1, type=int, help='Batch size for training')
parser.add_argument('--num_workers', default=0, type=int, help='Number of workers used in dataloading')
parser.add_argument('--lr', '--learning-rate', default=1e-4, type=float, help='initial learning rate')
parser.add_argument('--save_folder', default='weights/ablation/cropping/', help='Directory for saving checkpoint models')
args = parser.parse_args()

if not os.path.exists(args.save_folder):
    os.makedirs(args.save_folder)

cuda = True if torch.cuda.is_available() else False

data_loader_train = data.DataLoader(GAICD(image_size=args.image_size, dataset_dir=args.dataset_root, set='train',
                                          augmentation=args.augmentation),
                                    batch_size=args.batch_size, num_workers=args.num_workers, shuffle=True,
                                    worker_init_fn=random.seed(SEED))

data_loader_test = data.DataLoader(GAICD(image_size=args.image_size, dataset_dir=args.dataset_root, set='test'),
                                   batch_size=args.batch_size, num_workers=args.num_workers, shuffle=False)

net = build_crop_model(scale=args.scale, alignsize=args.align_size, reddim=args.reduced_dim, loadweight=True,
                       model=args.base_model, downsample=args.downsample)

if cuda:
    net = torch.nn.DataParallel(net, device_ids=[0])
    net = net.cuda()

optimizer = optim.Adam(net.parameters(), lr=args.lr)


def test():
    net.eval()
    acc4_5 = []
    srcc = []
    pcc = []
    total_loss = 0
    avg_loss = 0
    for n in range(4):
        acc4_5.append(0)

    for id, sample in enumerate(data_loader_test):
        image = sample['image']
        bboxs = sample['bbox']
        MOS = sample['MOS']

        roi = []
        for idx in range(0, len(bboxs['xmin'])):
            roi.append((0, bboxs['xmin'][idx], bboxs['ymin'][idx], bboxs['xmax'][idx], bboxs['ymax'][idx]))

        if cuda:
            image = Variable(image.cuda())
            roi = Variable(torch.Tensor(roi))
        else:
            image = Variable(image)
            roi = Variable(roi)

        out = net(image, roi)
        loss = torch.nn.SmoothL1Loss(reduction='elementwise_mean')(out.squeeze(), torch.Tensor(MOS))
        total_loss += loss.item()
        avg_loss = total_loss / (id + 1)

        id_MOS = sorted(range(len(MOS)), key=lambda k: MOS[k], reverse=True)
        id_out = sorted(range(len(out)), key=lambda k: out[k], reverse=True)
        for k in range(4):
            temp_acc_4_5 = 0.0
            for j in range(k + 1):
                if MOS[id_out[j]] >= MOS[id_MOS[4]]:
                    temp_acc_4_5 += 1.0
            acc4_5[k] += temp_acc_4_5 / (k + 1.0)

        MOS_arr = []
        out = torch.squeeze(out).cpu().detach().numpy()
        for k in range(len(MOS)):
            MOS_arr.append(MOS[k].numpy()[0])
        srcc.append(spearmanr(MOS_arr, out)[0])
        pcc.append(pearsonr(MOS_arr, out)[0])

    for k in range(4):
        acc4_5[k] = acc4_5[k] / 200.0
    avg_srcc = sum(srcc) / 200.0
    avg_pcc = sum(pcc) / 200.0
    return acc4_5, avg_srcc, avg_pcc, avg_loss


def train():

    net.train()
    for epoch in range(0, 80):
        total_loss = 0
        for id, sample in enumerate(data_loader_train):

            image = sample['image']
            bboxs = sample['bbox']

            roi = []
            MOS = []

            random_ID = list(range(0, len(bboxs['xmin'])))
            random.shuffle(random_ID)

            for idx in random_ID[:64]:
                roi.append((0, bboxs['xmin'][idx], bboxs['ymin'][idx], bboxs['xmax'][idx], bboxs['ymax'][idx]))
                MOS.append(sample['MOS'][idx])

            if cuda:
                image = Variable(image.cuda())
                roi = Variable(torch.Tensor(roi))
                MOS = torch.Tensor(MOS)
            else:
                image = Variable(image)
                roi = Variable(roi)

            out = net(image, roi)
            loss = torch.nn.SmoothL1Loss(reduction='elementwise_mean')(out.squeeze(), MOS)
            total_loss += loss.item()
            avg_loss = total_loss / (id + 1)

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            sys.stdout.write('\r[Epoch %d/%d] [Batch %d/%d] [Train Loss: %.4f]' % (epoch, 79, id, len(data_loader_train), avg_loss))

        acc4_5, avg_srcc, avg_pcc, test_avg_loss = test()
        sys.stdout.write('[Test Loss: %.4f] [%.3f, %.3f, %.3f, %.3f] [SRCC: %.3f] [PCC: %.3f]\n' % (
            test_avg_loss, acc4_5[0], acc4_5[1], acc4_5[2], acc4_5[3], avg_srcc, avg_pcc))
        torch.save(net.module.state_dict(), args.save_folder + '/' + repr(epoch) + '_%.3f_%.3f.pth' % (acc4_5[0], avg_srcc))


if __name__ == '__main__':
    train()
