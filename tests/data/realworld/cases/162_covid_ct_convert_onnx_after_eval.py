import torch
import torch.onnx
from torch import nn
from torchvision.models import resnet34


class my_resnet(nn.Module):
    def __init__(self):
        super().__init__()
        self.res = resnet34()
        self.fc = nn.Sequential(nn.ReLU(), nn.BatchNorm1d(1000), nn.Linear(1000, 2), nn.Softmax(dim=1))

    def forward(self, x):
        return self.fc(self.res(x))


torch_model = my_resnet()
model_path = "model_weights.pth"
batch_size = 1

torch_model.load_state_dict(torch.load(model_path))
torch_model.eval()

x = torch.randn(batch_size, 3, 224, 224, requires_grad=True)
torch_out = torch_model(x)

torch.onnx.export(torch_model, x, "model.onnx", export_params=True, opset_version=11, do_constant_folding=True,
                  input_names=["input"], output_names=["output"],
                  dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}})
