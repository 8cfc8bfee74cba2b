import argparse
import importlib.util
import os
import sys
from abc import ABCMeta, abstractmethod

import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from generator import DentalModelGenerator
from models import tgn_loss
from loss_meter import LossMap, LossMeter


# train_configs/train_config_maker.py
def get_default_config(experiment_name, input_data_dir_path, train_data_split_txt_path, val_data_split_txt_path):
    config = {
        "generator": {
            "input_data_dir_path": f"{input_data_dir_path}",
            "train_data_split_txt_path": f"{train_data_split_txt_path}",
            "val_data_split_txt_path": f"{val_data_split_txt_path}",
            "aug_obj_str": "aug.Augmentator([aug.Scaling([0.85, 1.15]), aug.Rotation([-30,30], 'fixed'), aug.Translation([-0.2, 0.2])])",
            "train_batch_size": 1,
            "val_batch_size": 1,
        },
        "checkpoint_path": f"ckpts/{experiment_name}",
    }
    return config


def get_train_config(config_path, experiment_name, input_data_dir_path, train_data_split_txt_path, val_data_split_txt_path):
    config = {}
    config.update(get_default_config(experiment_name, input_data_dir_path, train_data_split_txt_path, val_data_split_txt_path))
    spec = importlib.util.spec_from_file_location("module.name", config_path)
    loaded_model_config = importlib.util.module_from_spec(spec)
    sys.modules["module.name"] = loaded_model_config
    spec.loader.exec_module(loaded_model_config)
    config.update(loaded_model_config.config)
    return config


# models/modules/dgcnn.py (edge-feature helper and most layers trimmed)
class DGCnnModule(nn.Module):
    def __init__(self, config):
        super(DGCnnModule, self).__init__()
        emb_dims = 1024
        input_dim = 6
        self.bn1 = nn.BatchNorm2d(64)
        self.bn6 = nn.BatchNorm1d(emb_dims)
        self.bn8 = nn.BatchNorm1d(256)
        self.conv1 = nn.Sequential(nn.Conv2d(input_dim * 2, 64, kernel_size=1, bias=False), self.bn1,
                                   nn.LeakyReLU(negative_slope=0.2))
        self.conv6 = nn.Sequential(nn.Conv1d(64, emb_dims, kernel_size=1, bias=False), self.bn6,
                                   nn.LeakyReLU(negative_slope=0.2))
        self.conv8 = nn.Sequential(nn.Conv1d(emb_dims + 64, 256, kernel_size=1, bias=False), self.bn8,
                                   nn.LeakyReLU(negative_slope=0.2))
        self.dp1 = nn.Dropout(p=0.5)
        self.cls_conv = nn.Conv1d(256, 17, kernel_size=1, bias=False)

    def forward(self, x_in):
        x = x_in[0]
        num_points = x.size(2)
        x = torch.cat([x, x], dim=1).unsqueeze(-1).repeat(1, 1, 1, 20)
        x1 = self.conv1(x).max(dim=-1, keepdim=False)[0]
        x = self.conv6(x1).max(dim=-1, keepdim=True)[0].repeat(1, 1, num_points)
        x = self.conv8(torch.cat((x, x1), dim=1))
        return {"cls_pred": self.cls_conv(self.dp1(x))}


# models/base_model.py
class BaseModel(metaclass=ABCMeta):
    def __init__(self, config, module):
        self.config = config
        self.module = module(config)
        self.module.train()
        self.module.cuda()
        opt_cfg = self.config["tr_set"]["optimizer"]
        self.optimizer = torch.optim.SGD(self.module.parameters(), lr=opt_cfg["lr"], momentum=opt_cfg["momentum"],
                                         weight_decay=opt_cfg["weight_decay"])

    def _set_model(self, phase):
        if phase == "train":
            self.module.train()
        elif phase == "val" or phase == "test":
            self.module.eval()

    def save(self, phase):
        os.makedirs(os.path.dirname(self.config["checkpoint_path"]), exist_ok=True)
        if phase == "train":
            torch.save(self.module.state_dict(), self.config["checkpoint_path"] + ".h5")
        elif phase == "val":
            torch.save(self.module.state_dict(), self.config["checkpoint_path"] + "_val.h5")

    @abstractmethod
    def step(self, batch_idx, batch_item, phase):
        pass


# models/dgcnn_model.py
class DGCnnModel(BaseModel):
    def get_loss(self, gt_seg_label_1, sem_1):
        return {"tooth_class_loss_1": (tgn_loss.tooth_class_loss(sem_1, gt_seg_label_1, 17), 1)}

    def step(self, batch_idx, batch_item, phase):
        self._set_model(phase)
        points = batch_item["feat"].cuda()
        seg_label = batch_item["gt_seg_label"].cuda()
        inputs = [points, seg_label]
        if phase == "train":
            output = self.module(inputs)
        else:
            with torch.no_grad():
                output = self.module(inputs)
        loss_meter = LossMap()
        loss_meter.add_loss_by_dict(self.get_loss(seg_label, output["cls_pred"]))
        if phase == "train":
            loss_sum = loss_meter.get_sum()
            self.optimizer.zero_grad()
            loss_sum.backward()
            self.optimizer.step()
        return loss_meter


# trainer.py
class Trainer:
    def __init__(self, config=None, model=None, gen_set=None):
        self.gen_set = gen_set
        self.config = config
        self.model = model
        self.best_val_loss = float("inf")

    def train(self, epoch, data_loader):
        total_loss_meter = LossMeter()
        for batch_idx, batch_item in enumerate(data_loader):
            loss = self.model.step(batch_idx, batch_item, "train")
            total_loss_meter.aggr(loss.get_loss_dict_for_print("train"))
        self.model.save("train")

    def test(self, epoch, data_loader, save_best_model):
        total_loss_meter = LossMeter()
        for batch_idx, batch_item in enumerate(data_loader):
            loss = self.model.step(batch_idx, batch_item, "test")
            total_loss_meter.aggr(loss.get_loss_dict_for_print("val"))
        avg_total_loss = total_loss_meter.get_avg_results()
        if save_best_model and self.best_val_loss > avg_total_loss["total_val"]:
            self.best_val_loss = avg_total_loss["total_val"]
            self.model.save("val")

    def run(self):
        train_data_loader = self.gen_set[0][0]
        val_data_loader = self.gen_set[0][1]
        for epoch in range(100000):
            self.train(epoch, train_data_loader)
            self.test(epoch, val_data_loader, True)


# runner.py
def collate_fn(batch):
    output = {}
    for batch_item in batch:
        for key in batch_item.keys():
            output.setdefault(key, []).append(batch_item[key])
    for output_key in output.keys():
        if output_key in ["feat", "gt_seg_label", "uniform_feat", "uniform_gt_seg_label"]:
            output[output_key] = torch.stack(output[output_key])
    return output


def get_generator_set(config, is_test=False):
    if not is_test:
        point_loader = DataLoader(
            DentalModelGenerator(
                config["input_data_dir_path"],
                aug_obj_str=config["aug_obj_str"],
                split_with_txt_path=config["train_data_split_txt_path"]
            ),
            shuffle=True,
            batch_size=config["train_batch_size"],
            collate_fn=collate_fn
        )
        val_point_loader = DataLoader(
            DentalModelGenerator(
                config["input_data_dir_path"],
                aug_obj_str=None,
                split_with_txt_path=config["val_data_split_txt_path"]
            ),
            shuffle=False,
            batch_size=config["val_batch_size"],
            collate_fn=collate_fn
        )
        return [point_loader, val_point_loader]


def runner(config, model):
    gen_set = [get_generator_set(config["generator"], False)]
    trainner = Trainer(config=config, model=model, gen_set=gen_set)
    trainner.run()


# start_train.py
if __name__ == "__main__":
    parser = argparse.ArgumentParser(description='Inference models')
    parser.add_argument('--model_name', default="dgcnn", type=str)
    parser.add_argument('--config_path', default="train_configs/dgcnn.py", type=str)
    parser.add_argument('--experiment_name', default="dgcnn_0620", type=str)
    parser.add_argument('--input_data_dir_path', default="data_preprocessed_path", type=str)
    parser.add_argument('--train_data_split_txt_path', default="base_name_train_fold.txt", type=str)
    parser.add_argument('--val_data_split_txt_path', default="base_name_val_fold.txt", type=str)
    args = parser.parse_args()

    config = get_train_config(args.config_path, args.experiment_name, args.input_data_dir_path,
                              args.train_data_split_txt_path, args.val_data_split_txt_path)
    model = DGCnnModel(config, DGCnnModule)
    runner(config, model)
