"""Multi-scale + flip sliding-window evaluation of a trained segmentor."""
import argparse
import json

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from datasets import build_dataset
from models import build_segmentor
from utils import ConfusionMatrix


def slide_inference(model, img, num_classes, crop=(512, 1024), stride=(341, 683)):
    _, _, h, w = img.shape
    ch, cw = crop
    sh, sw = stride
    logits = img.new_zeros((1, num_classes, h, w))
    count = img.new_zeros((1, 1, h, w))
    for y in range(max(h - ch + sh - 1, 0) // sh + 1):
        for x in range(max(w - cw + sw - 1, 0) // sw + 1):
            y1, x1 = min(y * sh, max(h - ch, 0)), min(x * sw, max(w - cw, 0))
            y2, x2 = min(y1 + ch, h), min(x1 + cw, w)
            logits[:, :, y1:y2, x1:x2] += model(img[:, :, y1:y2, x1:x2])
            count[:, :, y1:y2, x1:x2] += 1
    return logits / count


@torch.no_grad()
def ms_inference(model, img, num_classes, scales, flip):
    _, _, h, w = img.shape
    total = 0
    for s in scales:
        im = F.interpolate(img, scale_factor=s, mode='bilinear', align_corners=False)
        out = slide_inference(model, im, num_classes)
        if flip:
            out = out + slide_inference(model, im.flip(-1), num_classes).flip(-1)
        total = total + F.interpolate(out, size=(h, w), mode='bilinear', align_corners=False).softmax(1)
    return total


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--data-root', required=True)
    p.add_argument('--scales', type=float, nargs='+', default=[1.0])
    p.add_argument('--flip', action='store_true')
    p.add_argument('--out', default='')
    args = p.parse_args()

    ckpt = torch.load(args.checkpoint, map_location='cpu')
    cfg = ckpt['config']
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    dataset = build_dataset(cfg['dataset'], args.data_root, 'val', cfg['crop_size'], train=False)
    loader = DataLoader(dataset, batch_size=1, shuffle=False, num_workers=2)

    model = build_segmentor(cfg['model'], dataset.num_classes, backbone=cfg['backbone'],
                            aux_loss=True)
    model.load_state_dict(ckpt['model'])
    model.to(device)
    model.eval()

    confmat = ConfusionMatrix(dataset.num_classes)
    for i, (img, mask) in enumerate(loader):
        img, mask = img.to(device), mask.to(device)
        prob = ms_inference(model, img, dataset.num_classes, args.scales, args.flip)
        confmat.update(prob.argmax(1).flatten(), mask.flatten())
        if i % 50 == 0:
            print('{}/{}'.format(i, len(loader)))
    acc, ious, miou = confmat.compute()
    print('pixel acc {:.2f} mIoU {:.2f}'.format(acc, miou))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump({'acc': acc, 'miou': miou, 'ious': ious}, f, indent=2)


if __name__ == '__main__':
    main()
