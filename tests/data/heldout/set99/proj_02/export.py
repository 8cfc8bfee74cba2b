"""Export a trained classifier to TorchScript and ONNX.

    python export.py --model resnet50d --checkpoint out/r50d/best.pth --ema
"""
import argparse
import os

import torch

import models


def parse_args():
    p = argparse.ArgumentParser('export')
    p.add_argument('--model', default='resnet50', choices=models.list_models())
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--num-classes', default=1000, type=int)
    p.add_argument('--ema', action='store_true', help='export the EMA weights')
    p.add_argument('--input-size', default=224, type=int)
    p.add_argument('--opset', default=17, type=int)
    p.add_argument('--out-dir', default='exported')
    return p.parse_args()


def main():
    args = parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    model = models.create_model(args.model, num_classes=args.num_classes)
    ckpt = torch.load(args.checkpoint, map_location='cpu')
    state = ckpt['model_ema'] if args.ema else ckpt['model']
    model.load_state_dict(state)
    model.eval()

    example = torch.randn(1, 3, args.input_size, args.input_size)
    with torch.no_grad():
        reference = model(example)
        traced = torch.jit.trace(model, example)
        torch.jit.save(traced, os.path.join(args.out_dir, args.model + '.pt'))
        max_diff = (traced(example) - reference).abs().max().item()
    print('torchscript max abs diff: {:.2e}'.format(max_diff))

    torch.onnx.export(model, example, os.path.join(args.out_dir, args.model + '.onnx'),
                      input_names=['images'], output_names=['logits'],
                      dynamic_axes={'images': {0: 'batch'}, 'logits': {0: 'batch'}},
                      opset_version=args.opset, do_constant_folding=True)
    print('saved to', args.out_dir)


if __name__ == '__main__':
    main()
