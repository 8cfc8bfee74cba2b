import argparse
import importlib

import numpy as np
import torch

from model.i3d import InceptionI3d

parser = argparse.ArgumentParser(description="FuseFormer")
parser.add_argument("-c", "--ckpt", type=str, required=True)
parser.add_argument("--model", type=str, default="fuseformer")
args = parser.parse_args()

i3d_model = None


def init_i3d_model():
    global i3d_model
    if i3d_model is not None:
        return
    print("[Loading I3D model for FID score ..]")
    i3d_model = InceptionI3d(400, in_channels=3, final_endpoint="Logits")
    i3d_model.load_state_dict(torch.load("./checkpoints/i3d_rgb_imagenet.pt"))
    i3d_model.to(torch.device("cuda:0"))


def get_i3d_activations(batched_video, target_endpoint="Logits", flatten=True, grad_enabled=False):
    init_i3d_model()
    with torch.set_grad_enabled(grad_enabled):
        feat = i3d_model.extract_features(batched_video.transpose(1, 2), target_endpoint)
    if flatten:
        feat = feat.view(feat.size(0), -1)
    return feat


def main_worker(videos):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    net = importlib.import_module("model." + args.model)
    model = net.InpaintGenerator().to(device)
    model.load_state_dict(torch.load(args.ckpt, map_location=device)["netG"])
    model.eval()
    output_i3d_activations, real_i3d_activations = [], []
    for imgs, masks, gts in videos:
        with torch.no_grad():
            comp = model(imgs.to(device) * (1 - masks.to(device)))
        output_i3d_activations.append(get_i3d_activations(comp).cpu().numpy().flatten())
        real_i3d_activations.append(get_i3d_activations(gts.to(device)).cpu().numpy().flatten())
    m1, m2 = np.mean(real_i3d_activations, axis=0), np.mean(output_i3d_activations, axis=0)
    print("[fvid mean distance is {}]".format(np.sum((m1 - m2) ** 2)))


if __name__ == "__main__":
    main_worker(torch.load("davis_test_videos.pt"))
