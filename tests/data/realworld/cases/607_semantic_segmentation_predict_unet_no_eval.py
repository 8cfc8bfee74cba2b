from __future__ import print_function

import torch
import torch.nn as nn
from torch.autograd import Variable
from PIL import Image

from data_loader.dataset import input_transform, colorize_mask


class UNet(nn.Module):
    def __init__(self, input_nc, output_nc):
        super(UNet, self).__init__()
        self.in_conv1 = nn.Conv2d(input_nc, 64, kernel_size=3, stride=1, padding=1)
        self.in_conv2 = nn.Conv2d(64, 64, kernel_size=3, stride=1, padding=1)
        self.pooling1 = nn.MaxPool2d(2)
        self.conv1_1 = nn.Conv2d(64, 128, kernel_size=3, stride=1, padding=1)
        self.conv1_2 = nn.Conv2d(128, 128, kernel_size=3, stride=1, padding=1)
        self.upsampling1 = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)
        self.conv8_1 = nn.Conv2d(192, 64, kernel_size=3, stride=1, padding=1)
        self.conv8_2 = nn.Conv2d(64, 64, kernel_size=3, stride=1, padding=1)
        self.out_conv = nn.Conv2d(64, output_nc, kernel_size=1, stride=1, padding=0)

        self.bn64 = nn.BatchNorm2d(64)
        self.bn128 = nn.BatchNorm2d(128)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, input):
        c1 = self.relu(self.bn64(self.in_conv1(input)))
        c2 = self.relu(self.bn64(self.in_conv2(c1)))
        e1_ = self.relu(self.bn128(self.conv1_1(self.pooling1(c2))))
        e1 = self.relu(self.bn128(self.conv1_2(e1_)))
        d1 = torch.cat((self.upsampling1(e1), c2), 1)
        d1 = self.relu(self.bn64(self.conv8_1(d1)))
        d1 = self.relu(self.bn64(self.conv8_2(d1)))
        return self.out_conv(d1)


#model = Segnet(3,2)
#model_path = './checkpoint/Segnet/model/netG_final.pth'

model = UNet(3, 2)
model_path = './checkpoint/Unet/model/netG_1.pth'
model.load_state_dict(torch.load(model_path, map_location='cpu'))
test_image_path = './data/train/src/21.png'
test_image = Image.open(test_image_path).convert('RGB')
print('Operating...')
img = input_transform(test_image)
img = img.unsqueeze(0)
img = Variable(img)
pred_image = model(img)
predictions = pred_image.data.max(1)[1].squeeze_(1).cpu().numpy()
prediction = predictions[0]
predictions_color = colorize_mask(prediction)
predictions_color.show()
