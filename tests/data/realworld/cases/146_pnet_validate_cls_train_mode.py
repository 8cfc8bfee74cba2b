import torch
import torch.nn as nn
import sklearn.metrics as metrics

from networks.discriminator import Discriminator
from networks.P_Net_v1 import Image_Reconstruction_Network, Strcutre_Extraction_Network
from utils.parser import ParserArgs


class PNetModel(nn.Module):
    def __init__(self, args):
        super().__init__()
        self.args = args
        self.add_module("model_G1", nn.DataParallel(Strcutre_Extraction_Network(n_channels=1, n_classes=1)).cuda())
        self.add_module("model_G2", nn.DataParallel(Image_Reconstruction_Network(in_ch=1, modality="fundus")).cuda())
        self.add_module("model_D", nn.DataParallel(Discriminator(in_channels=1)).cuda())
        self.optimizer_G = torch.optim.Adam(params=self.model_G2.parameters(), lr=args.lr)

    def forward(self, image):
        with torch.no_grad():
            seg_mask, seg_structure_feat, seg_latent_feat = self.model_G1(image)
        image_rec = self.model_G2(image, seg_mask, seg_latent_feat)
        return seg_mask, image_rec


class RunMyModel(object):
    def __init__(self):
        self.args = ParserArgs().get_args()
        self.model = PNetModel(self.args)

    def train(self):
        self.model.train()
        for i, (image, _) in enumerate(self.args.train_loader):
            seg_mask, image_rec = self.model(image.cuda(non_blocking=True))
            loss = (image_rec - image.cuda()).abs().mean()
            self.model.optimizer_G.zero_grad()
            loss.backward()
            self.model.optimizer_G.step()

    def forward_cls_dataloader(self, loader, is_disease):
        gt_list, pred_list = [], []
        for i, (image, image_name) in enumerate(loader):
            image = image.cuda(non_blocking=True)
            seg_mask, image_rec = self.model(image)
            pred_list += torch.abs(image - image_rec).mean(dim=(1, 2, 3)).cpu().tolist()
            gt_list += [int(is_disease)] * image.size(0)
        return gt_list, pred_list

    def validate_cls(self):
        # self.model.eval()
        self.model.train()
        with torch.no_grad():
            abnormal_gt, abnormal_pred = self.forward_cls_dataloader(loader=self.args.abnormal_loader, is_disease=True)
            normal_gt, normal_pred = self.forward_cls_dataloader(loader=self.args.normal_test_loader, is_disease=False)
        return metrics.roc_auc_score(abnormal_gt + normal_gt, abnormal_pred + normal_pred)

    def train_val(self):
        for epoch in range(self.args.start_epoch, self.args.n_epochs):
            self.train()
            if epoch % self.args.validate_freq == 0:
                print(epoch, self.validate_cls())
