# timm resnet18 + BNNeck head: the eps used by our head (1e-3, TF port) vs
# torch default 1e-5 changes outputs at the 1e-3 level. Repro (timm 0.9.12).
import timm
import torch
import torch.nn as nn


class BNNeckHead(nn.Module):
    def __init__(self, in_features=512, emb=128):
        super().__init__()
        self.bn_feat = nn.BatchNorm1d(in_features, 1e-5, 0.1)
        self.fc = nn.Linear(in_features, emb, bias=False)
        self.bn = nn.BatchNorm2d(emb, 1e-3)  # applied to (N, emb, 1, 1)

    def forward(self, feats):
        feats = self.bn_feat(feats)
        x = self.fc(feats)
        x = self.bn(x[:, :, None, None])
        return x.flatten(1)


torch.manual_seed(0)
backbone = timm.create_model("resnet18", pretrained=False, num_classes=0)
head = BNNeckHead(backbone.num_features)
model = nn.Sequential(backbone, head)
model.eval()

x = torch.randn(4, 3, 224, 224)
with torch.inference_mode():
    out_tf_eps = model(x)
    head.bn.eps = 1e-5
    out_pt_eps = model(x)

print("backbone bn eps:", backbone.bn1.eps, "head bn eps:", head.bn.eps)
print("max abs diff from eps change:", (out_tf_eps - out_pt_eps).abs().max().item())
