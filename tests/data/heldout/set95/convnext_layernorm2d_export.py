"""ConvNeXt-Tiny style classifier with channels-first LayerNorm (LayerNorm2d).

The stem and downsampling layers look like a ResNet (conv -> norm) but the
norm is a LayerNorm over channels, so conv biases are kept on purpose and no
BatchNorm statistics exist anywhere.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channel dim of an (N, C, H, W) tensor."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class DropPath(nn.Module):
    def __init__(self, p=0.0):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.p == 0.0 or not self.training:
            return x
        keep = 1 - self.p
        mask = x.new_empty(x.shape[0], 1, 1, 1).bernoulli_(keep)
        return x * mask / keep


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim, drop_path=0.0, layer_scale=1e-6):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)  # channels-last
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(layer_scale * torch.ones(dim))
        self.drop_path = DropPath(drop_path)

    def forward(self, x):
        shortcut = x
        x = self.dwconv(x).permute(0, 2, 3, 1)
        x = self.pwconv2(self.act(self.pwconv1(self.norm(x))))
        x = (self.gamma * x).permute(0, 3, 1, 2)
        return shortcut + self.drop_path(x)


class ConvNeXt(nn.Module):
    def __init__(self, num_classes=1000, depths=(3, 3, 9, 3), dims=(96, 192, 384, 768),
                 drop_path_rate=0.1):
        super().__init__()
        self.downsample = nn.ModuleList([
            nn.Sequential(nn.Conv2d(3, dims[0], 4, stride=4), LayerNorm2d(dims[0], eps=1e-6))
        ])
        for i in range(3):
            self.downsample.append(nn.Sequential(
                LayerNorm2d(dims[i], eps=1e-6),
                nn.Conv2d(dims[i], dims[i + 1], 2, stride=2),
            ))
        rates = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        self.stages = nn.ModuleList()
        k = 0
        for i, d in enumerate(depths):
            self.stages.append(nn.Sequential(
                *[ConvNeXtBlock(dims[i], rates[k + j]) for j in range(d)]))
            k += d
        self.norm = nn.LayerNorm(dims[-1], eps=1e-6)
        self.head = nn.Linear(dims[-1], num_classes)

    def forward_features(self, x):
        for down, stage in zip(self.downsample, self.stages):
            x = stage(down(x))
        return self.norm(x.mean((-2, -1)))

    def forward(self, x):
        return self.head(self.forward_features(x))


def load_checkpoint(path, num_classes):
    model = ConvNeXt(num_classes=num_classes)
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state.get("model", state))
    return model


@torch.inference_mode()
def predict_topk(model, images, k=5):
    # DropPath is active in training mode, so inference needs eval().
    model.eval()
    probs = model(images).softmax(-1)
    return probs.topk(k, dim=-1)


def export_onnx(model, out_path, image_size=224):
    model.eval()
    dummy = torch.randn(1, 3, image_size, image_size)
    torch.onnx.export(
        model, dummy, out_path,
        input_names=["images"], output_names=["logits"],
        dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--num-classes", type=int, default=1000)
    ap.add_argument("--onnx", default="convnext_tiny.onnx")
    args = ap.parse_args()

    model = load_checkpoint(args.checkpoint, args.num_classes)
    values, indices = predict_topk(model, torch.rand(2, 3, 224, 224))
    print("sanity top-5:", indices.tolist())
    export_onnx(model, args.onnx)
    print("exported", args.onnx)


if __name__ == "__main__":
    main()
