"""Export a trained checkpoint to ONNX for the TensorRT deployment."""
import argparse

import torch

from unet_seg import load_for_inference


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('checkpoint')
    parser.add_argument('--out', default='unet_carvana.onnx')
    parser.add_argument('--height', type=int, default=640)
    parser.add_argument('--width', type=int, default=959)
    args = parser.parse_args()

    model = load_for_inference(args.checkpoint)
    dummy = torch.randn(1, 3, args.height, args.width)
    torch.onnx.export(model, dummy, args.out, input_names=['image'], output_names=['logits'], opset_version=17, dynamic_axes={'image': {0: 'batch'}, 'logits': {0: 'batch'}})

    with torch.no_grad():
        logits = model(dummy)
    print('exported', args.out, 'output shape', tuple(logits.shape))


if __name__ == '__main__':
    main()
