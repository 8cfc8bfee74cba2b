"""
[ONNX] outputs now match PyTorch (max abs diff ~1e-6).

Not an exporter bug: the model was exported while still in training mode,
so BatchNorm was exported with batch statistics. Calling model.eval() before
torch.onnx.export fixes it.
"""
import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def conv_bn_relu(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class TinyNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn_relu(3, 16),
            conv_bn_relu(16, 32, stride=2),
            conv_bn_relu(32, 64, stride=2),
        )
        self.head = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.body(x)
        x = x.mean(dim=(2, 3))
        return self.head(x)


def train(model, loader, epochs=3):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    crit = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            crit(model(x), y).backward()
            opt.step()


if __name__ == "__main__":
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(640, 3, 64, 64), torch.randint(0, 5, (640,)))
    loader = DataLoader(data, batch_size=32, shuffle=True)
    model = TinyNet()
    train(model, loader)

    dummy = torch.randn(1, 3, 64, 64)
    model.eval()
    torch.onnx.export(model, dummy, "tinynet.onnx", input_names=["input"], output_names=["logits"], opset_version=17)

    with torch.no_grad():
        ref = model(dummy).numpy()

    sess = ort.InferenceSession("tinynet.onnx", providers=["CPUExecutionProvider"])
    out = sess.run(None, {"input": dummy.numpy()})[0]
    print("torch:", ref)
    print("onnx: ", out)
    print("max abs diff:", np.abs(ref - out).max())
