"""Reported to OpenVINO (and as pytorch/pytorch#41231): a Conv3d+BatchNorm3d model gives
different results in PyTorch and in OpenVINO/onnxruntime. The PyTorch side of the
comparison ran the freshly built model without model.eval()."""
import numpy as np
import torch
import torch.nn as nn
import onnxruntime


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv3d(3, 64, kernel_size=(1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3), bias=False)
        self.bn1 = nn.BatchNorm3d(64)

    def forward(self, x):
        # different
        pred = self.bn1(self.conv1(x))
        # same
        # pred = self.conv1(x)
        return pred


model = Net()
dummy = torch.randn(1, 3, 8, 112, 112)
torch.onnx.export(model, dummy, 'bn3d.onnx', input_names=['input'], output_names=['output'])

x = np.random.rand(1, 3, 8, 112, 112).astype(np.float32)
with torch.no_grad():
    torch_out = model(torch.from_numpy(x)).numpy()
sess = onnxruntime.InferenceSession('bn3d.onnx')
ort_out = sess.run(None, {'input': x})[0]
print(np.abs(torch_out - ort_out).max())
