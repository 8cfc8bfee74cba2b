"""Fuse Conv+BN and export the segmentor to ONNX for TensorRT deployment."""
import argparse

import torch
import torch.fx.experimental.optimization as fx_opt

from models import build_segmentor


class ExportWrapper(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x).argmax(1, keepdim=True).to(torch.int32)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--output', default='segmentor.onnx')
    p.add_argument('--height', type=int, default=1024)
    p.add_argument('--width', type=int, default=2048)
    args = p.parse_args()

    ckpt = torch.load(args.checkpoint, map_location='cpu')
    cfg = ckpt['config']
    num_classes = 19 if cfg['dataset'] == 'cityscapes' else 21
    model = build_segmentor(cfg['model'], num_classes, backbone=cfg['backbone'], aux_loss=False)
    model.load_state_dict(ckpt['model'], strict=False)
    model.eval()

    fused = fx_opt.fuse(model)
    wrapper = ExportWrapper(fused).eval()
    dummy = torch.randn(1, 3, args.height, args.width)
    torch.onnx.export(wrapper, dummy, args.output, opset_version=17,
                      input_names=['image'], output_names=['label'])
    print('exported', args.output)


if __name__ == '__main__':
    main()
