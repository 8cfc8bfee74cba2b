import torch
import torch.nn as nn
import torch.nn.functional as F


class DepthwiseSeparable(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.dw_bn = nn.BatchNorm2d(cin)
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.pw_bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = F.relu6(self.dw_bn(self.dw(x)))
        return F.relu6(self.pw_bn(self.pw(x)))


class MobileSeg(nn.Module):
    CFG = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2)]

    def __init__(self, n_classes=21):
        super().__init__()
        first = self.CFG[0][0]
        self.stem = nn.Sequential(
            nn.Conv2d(3, first, 3, 2, 1, bias=False),
            nn.BatchNorm2d(first),
            nn.ReLU6(inplace=True),
        )
        self.blocks = nn.Sequential(*[DepthwiseSeparable(i, o, s) for i, o, s in self.CFG])
        last = self.CFG[-1][1]
        self.classifier = nn.Conv2d(last, n_classes, 1)

    def forward(self, x):
        h, w = x.shape[-2:]
        y = self.classifier(self.blocks(self.stem(x)))
        return F.interpolate(y, size=(h, w), mode="bilinear", align_corners=False)


def freeze_for_deployment(model):
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def train(model, steps=50):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(steps):
        x = torch.randn(16, 3, 128, 128)
        y = torch.randint(0, 21, (16, 128, 128))
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def export_all(model, prefix="mobileseg"):
    deploy = freeze_for_deployment(model)
    example = torch.randn(1, 3, 256, 256)
    torch.onnx.export(
        deploy,
        example,
        f"{prefix}.onnx",
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch", 2: "h", 3: "w"}},
        opset_version=17,
    )
    traced = torch.jit.trace(deploy, example)
    traced.save(f"{prefix}.pt")
    exported = torch.export.export(deploy, (example,))
    return traced, exported


def main():
    model = MobileSeg()
    train(model)
    traced, _ = export_all(model)
    with torch.inference_mode():
        print(traced(torch.randn(1, 3, 256, 256)).shape)


if __name__ == "__main__":
    main()
