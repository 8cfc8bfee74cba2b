"""Export a trained depth model to ONNX.

    python export.py --model DepthNet --checkpoint runs/nyu_r50_frozen/model_best.pth \
        --height 480 --width 640 --output depthnet_nyu.onnx
"""
import argparse

import torch

from models import build_depth_model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--model', default='DepthNet')
    parser.add_argument('--encoder-depth', default=50, type=int)
    parser.add_argument('--max-depth', default=10.0, type=float)
    parser.add_argument('--checkpoint', required=True)
    parser.add_argument('--height', default=480, type=int)
    parser.add_argument('--width', default=640, type=int)
    parser.add_argument('--opset', default=16, type=int)
    parser.add_argument('--output', default='depth.onnx')
    args = parser.parse_args()

    model = build_depth_model(args.model, encoder_depth=args.encoder_depth,
                              max_depth=args.max_depth)
    state = torch.load(args.checkpoint, map_location='cpu')
    model.load_state_dict(state['model'])

    dummy = torch.randn(1, 3, args.height, args.width)
    torch.onnx.export(model, dummy, args.output, input_names=['image'], output_names=['depth'], opset_version=args.opset, dynamic_axes={'image': {0: 'batch'}, 'depth': {0: 'batch'}})  # expect: BN104
    print('saved', args.output)


if __name__ == '__main__':
    main()
