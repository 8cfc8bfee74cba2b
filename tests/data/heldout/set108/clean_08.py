"""Export our SRResNet-lite (x3) to ONNX and TorchScript and check that
ONNX Runtime gives the same numbers as PyTorch.

Follows the "Exporting a Model from PyTorch to ONNX" tutorial.
"""
import argparse

import numpy as np
import onnx
import onnxruntime
import torch
from torch import nn


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels, 1e-5, 0.1)
        self.act = nn.PReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels, eps=1e-5, momentum=0.1)

    def forward(self, x):
        out = self.act(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return x + out


class SRResNetLite(nn.Module):
    def __init__(self, upscale_factor=3, channels=64, num_blocks=4):
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(1, channels, 9, padding=4), nn.PReLU())
        self.body = nn.Sequential(*[ResidualBlock(channels) for _ in range(num_blocks)])
        self.body_tail = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )
        self.upsample = nn.Sequential(
            nn.Conv2d(channels, upscale_factor ** 2, 3, padding=1),
            nn.PixelShuffle(upscale_factor),
        )

    def forward(self, x):
        feat = self.head(x)
        out = self.body_tail(self.body(feat)) + feat
        return self.upsample(out)


def to_numpy(tensor):
    return tensor.detach().cpu().numpy() if tensor.requires_grad else tensor.cpu().numpy()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--weights', default='checkpoints/srresnet_lite_x3.pth')
    parser.add_argument('--onnx', default='srresnet_lite_x3.onnx')
    parser.add_argument('--torchscript', default='srresnet_lite_x3.pt')
    parser.add_argument('--batch-size', type=int, default=1)
    args = parser.parse_args()

    torch_model = SRResNetLite(upscale_factor=3)
    state = torch.load(args.weights, map_location='cpu')
    torch_model.load_state_dict(state['model'] if 'model' in state else state)

    # set the model to inference mode (BN uses running statistics)
    torch_model.train(False)

    x = torch.randn(args.batch_size, 1, 224, 224, requires_grad=True)
    with torch.no_grad():
        torch_out = torch_model(x)

    torch.onnx.export(torch_model, x, args.onnx, export_params=True, opset_version=17, do_constant_folding=True, input_names=['input'], output_names=['output'], dynamic_axes={'input': {0: 'batch_size'}, 'output': {0: 'batch_size'}})

    traced = torch.jit.trace(torch_model, x.detach())
    traced.save(args.torchscript)

    onnx_model = onnx.load(args.onnx)
    onnx.checker.check_model(onnx_model)

    ort_session = onnxruntime.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
    ort_inputs = {ort_session.get_inputs()[0].name: to_numpy(x)}
    ort_outs = ort_session.run(None, ort_inputs)

    np.testing.assert_allclose(to_numpy(torch_out), ort_outs[0], rtol=1e-03, atol=1e-05)
    np.testing.assert_allclose(to_numpy(torch_out), to_numpy(traced(x)), rtol=1e-03, atol=1e-05)
    print("Exported model has been tested with ONNXRuntime, and the result looks good!")


if __name__ == '__main__':
    main()
