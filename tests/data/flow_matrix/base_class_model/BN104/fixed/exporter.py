import torch

from base import BaseRunner


class OnnxExporter(BaseRunner):
    def export(self, path):
        self.model.eval()
        dummy = torch.randn(1, 3, 224, 224)
        torch.onnx.export(self.model, dummy, path, opset_version=17)


if __name__ == "__main__":
    OnnxExporter({"num_classes": 10}).export("net.onnx")
