# Exporting a model from PyTorch to ONNX and running it using ONNX Runtime
# (from the PyTorch tutorial) -- our super-resolution net has BatchNorm after
# the middle convolutions; weights come from our own train_superres.py run.
import argparse

import numpy as np
import onnx
import onnxruntime
import torch
import torch.nn as nn
import torch.nn.init as init
from PIL import Image
import torchvision.transforms as transforms


class SuperResolutionNet(nn.Module):
    def __init__(self, upscale_factor, inplace=False):
        super(SuperResolutionNet, self).__init__()

        self.relu = nn.ReLU(inplace=inplace)
        self.conv1 = nn.Conv2d(1, 64, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(64, 64, (3, 3), (1, 1), (1, 1), bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.conv3 = nn.Conv2d(64, 32, (3, 3), (1, 1), (1, 1), bias=False)
        self.bn3 = nn.BatchNorm3d(32)  # expect: BN202
        self.conv4 = nn.Conv2d(32, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)

        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.bn2(self.conv2(x)))
        x = self.relu(self.bn3(self.conv3(x)))
        x = self.pixel_shuffle(self.conv4(x))
        return x

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv3.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv4.weight)


def to_numpy(tensor):
    return tensor.detach().cpu().numpy() if tensor.requires_grad else tensor.cpu().numpy()


def main():
    parser = argparse.ArgumentParser(description='export super-resolution net to ONNX')
    parser.add_argument('--weights', default='checkpoints/superres_bn_epoch_30.pth')
    parser.add_argument('--onnx', default='super_resolution.onnx')
    parser.add_argument('--image', default='./_static/img/cat.jpg')
    parser.add_argument('--upscale', type=int, default=3)
    args = parser.parse_args()

    # Create the super-resolution model by using the above model definition.
    torch_model = SuperResolutionNet(upscale_factor=args.upscale)

    # Initialize model with the trained weights
    map_location = lambda storage, loc: storage
    if torch.cuda.is_available():
        map_location = None
    torch_model.load_state_dict(torch.load(args.weights, map_location=map_location))

    # set the model to inference mode
    torch_model.training = False  # expect: BN102

    # Input to the model
    batch_size = 1
    x = torch.randn(batch_size, 1, 224, 224, requires_grad=True)

    # Export the model
    torch.onnx.export(torch_model, x, args.onnx, export_params=True, opset_version=10, do_constant_folding=True, input_names=['input'], output_names=['output'], dynamic_axes={'input': {0: 'batch_size'}, 'output': {0: 'batch_size'}})  # expect: BN104

    onnx_model = onnx.load(args.onnx)
    onnx.checker.check_model(onnx_model)

    ort_session = onnxruntime.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])

    img = Image.open(args.image)

    resize = transforms.Resize([224, 224])
    img = resize(img)

    img_ycbcr = img.convert('YCbCr')
    img_y, img_cb, img_cr = img_ycbcr.split()

    to_tensor = transforms.ToTensor()
    img_y = to_tensor(img_y)
    img_y.unsqueeze_(0)

    ort_inputs = {ort_session.get_inputs()[0].name: to_numpy(img_y)}
    ort_outs = ort_session.run(None, ort_inputs)
    img_out_y = ort_outs[0]

    img_out_y = Image.fromarray(np.uint8((img_out_y[0] * 255.0).clip(0, 255)[0]), mode='L')

    # get the output image follow post-processing step from PyTorch implementation
    final_img = Image.merge(
        "YCbCr", [
            img_out_y,
            img_cb.resize(img_out_y.size, Image.BICUBIC),
            img_cr.resize(img_out_y.size, Image.BICUBIC),
        ]).convert("RGB")

    # Save the image, we will compare this with the output image from mobile device
    final_img.save("./_static/img/cat_superres_with_ort.jpg")


if __name__ == '__main__':
    main()
