"""Do I need model.eval() inside predict() if I already set it when loading?

FastAPI service that classifies product photos one at a time. The model is put
into inference mode once, when the checkpoint is loaded, and predict() only
wraps the forward in inference_mode. Results match the offline evaluation to
1e-6, I just want to be sure this is right before we ship it. I also export a
TorchScript copy for the mobile team from the same object.
"""
import io

import torch
import torch.nn as nn
from fastapi import FastAPI, File, UploadFile
from PIL import Image
from torchvision import transforms


class SepConvBN(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False)
        self.bn_dw = nn.BatchNorm2d(cin)
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn_pw = nn.BatchNorm2d(cout)
        self.act = nn.Hardswish()

    def forward(self, x):
        return self.act(self.bn_pw(self.pw(self.act(self.bn_dw(self.dw(x))))))


class ProductNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(24), nn.Hardswish())
        self.blocks = nn.Sequential(SepConvBN(24, 48, 2), SepConvBN(48, 96, 2),
                                    SepConvBN(96, 192, 2), SepConvBN(192, 384, 2))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
                                  nn.Linear(384, num_classes))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


class ProductClassifier:
    def __init__(self, ckpt_path, device="cpu"):
        self.device = torch.device(device)
        ckpt = torch.load(ckpt_path, map_location=self.device)
        self.classes = ckpt["classes"]
        self.model = self._load_model(ckpt)
        self.tf = transforms.Compose([
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ])

    def _load_model(self, ckpt):
        model = ProductNet(num_classes=len(self.classes))
        model.load_state_dict(ckpt["model"])
        model.to(self.device)
        model.train(False)
        return model

    @torch.inference_mode()
    def predict(self, image, topk=3):
        x = self.tf(image.convert("RGB")).unsqueeze(0).to(self.device)
        probs = self.model(x).softmax(dim=1)[0]
        conf, idx = probs.topk(topk)
        return [(self.classes[i], round(c, 4)) for c, i in zip(conf.tolist(), idx.tolist())]

    def export_torchscript(self, path):
        example = torch.randn(1, 3, 224, 224, device=self.device)
        with torch.no_grad():
            traced = torch.jit.trace(self.model, example)
        traced.save(path)


app = FastAPI()
classifier = ProductClassifier("checkpoints/productnet_v3.pt")


@app.post("/classify")
async def classify(file: UploadFile = File(...)):
    image = Image.open(io.BytesIO(await file.read()))
    return {"predictions": classifier.predict(image)}


if __name__ == "__main__":
    classifier.export_torchscript("productnet_v3_mobile.pt")
