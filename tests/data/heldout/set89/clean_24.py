"""Demo / batch inference for the keypoint R-CNN-lite model (detectron2 DefaultPredictor style).

    python demo.py --weights output/kprcnn_lite/model_final.pth --input images/*.jpg --output vis/
"""
import argparse
import glob
import itertools
import os

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

COCO_KPT_SKELETON = [(15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7),
                     (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6)]


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class KeypointNetLite(nn.Module):
    """Single-stage person keypoint model: heatmaps + person centre map."""

    def __init__(self, num_kpts=17, width=64):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(3, width, 2), conv_bn(width, width), conv_bn(width, 2 * width, 2),
            conv_bn(2 * width, 2 * width), conv_bn(2 * width, 4 * width, 2), conv_bn(4 * width, 4 * width),
        )
        self.up = nn.Sequential(
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(inplace=True),
        )
        self.kpt_head = nn.Conv2d(2 * width, num_kpts, 1)
        self.ctr_head = nn.Conv2d(2 * width, 1, 1)

    def forward(self, x):
        f = self.up(self.body(x))
        return self.kpt_head(f), self.ctr_head(f)


class DefaultPredictor:
    """
    Create a simple end-to-end predictor: loads the checkpoint, puts the model
    in eval mode once, and runs single-image inference on BGR numpy arrays.
    """

    def __init__(self, weights, device="cuda", min_size=512):
        self.model = KeypointNetLite()
        state = torch.load(weights, map_location="cpu")
        self.model.load_state_dict(state.get("model", state))
        self.model.to(device)
        self.model.eval()
        self.device = device
        self.min_size = min_size

    def __call__(self, original_image):
        with torch.no_grad():
            h, w = original_image.shape[:2]
            scale = self.min_size / min(h, w)
            image = cv2.resize(original_image, (int(w * scale + 0.5) // 32 * 32, int(h * scale + 0.5) // 32 * 32))
            image = torch.as_tensor(image[:, :, ::-1].astype("float32").transpose(2, 0, 1)) / 255.0
            kpt_logits, ctr_logits = self.model(image[None].to(self.device))
            return decode(kpt_logits[0], ctr_logits[0], scale * 4)


def decode(kpt_logits, ctr_logits, stride, thresh=0.3, max_people=20):
    ctr = torch.sigmoid(ctr_logits[0])
    peaks = (ctr == F.max_pool2d(ctr[None, None], 5, 1, 2)[0, 0]) & (ctr > thresh)
    ys, xs = torch.nonzero(peaks, as_tuple=True)
    order = ctr[ys, xs].argsort(descending=True)[:max_people]
    heat = torch.sigmoid(kpt_logits)
    k, hh, ww = heat.shape
    flat = heat.view(k, -1)
    people = []
    for y, x in zip(ys[order].tolist(), xs[order].tolist()):
        yy, xx = torch.meshgrid(torch.arange(hh, device=heat.device), torch.arange(ww, device=heat.device),
                                indexing="ij")
        prior = torch.exp(-((yy - y) ** 2 + (xx - x) ** 2).float() / (2 * 8.0 ** 2)).view(-1)
        idx = (flat * prior).argmax(dim=1)
        pts = torch.stack([(idx % ww).float(), (idx // ww).float(), flat.gather(1, idx[:, None])[:, 0]], dim=1)
        pts[:, :2] = pts[:, :2] / stride * 4
        people.append(pts.cpu().numpy())
    return people


def draw(image, people, thresh=0.2):
    vis = image.copy()
    for pts in people:
        for a, b in COCO_KPT_SKELETON:
            if pts[a, 2] > thresh and pts[b, 2] > thresh:
                cv2.line(vis, tuple(int(v) for v in pts[a, :2]), tuple(int(v) for v in pts[b, :2]), (0, 255, 0), 2)
        for x, y, s in pts:
            if s > thresh:
                cv2.circle(vis, (int(x), int(y)), 3, (0, 0, 255), -1)
    return vis


def main():
    parser = argparse.ArgumentParser(description="keypoint demo")
    parser.add_argument("--weights", required=True)
    parser.add_argument("--input", nargs="+", required=True)
    parser.add_argument("--output", default="vis")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()

    predictor = DefaultPredictor(args.weights, device=args.device)
    os.makedirs(args.output, exist_ok=True)
    paths = sorted(itertools.chain.from_iterable(glob.glob(p) for p in args.input))
    for path in paths:
        img = cv2.imread(path)
        people = predictor(img)
        cv2.imwrite(os.path.join(args.output, os.path.basename(path)), draw(img, people))
        print(f"{path}: {len(people)} people, mean kpt score "
              f"{np.mean([p[:, 2].mean() for p in people]) if people else 0.0:.3f}")


if __name__ == "__main__":
    main()
