# Linear probe on a frozen ResNet-50: features differ between contiguous and
# channels_last inputs by up to 2e-3 (torch 2.1, CPU). Is that expected?
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

torch.manual_seed(0)

backbone = torchvision.models.resnet50(weights=None)
backbone.fc = nn.Identity()
backbone.requires_grad_(False)
backbone.eval()

head = nn.Linear(2048, 100)
opt = torch.optim.AdamW(head.parameters(), lr=1e-3)

for epoch in range(2):
    head.train()
    for step in range(5):
        x = torch.randn(32, 3, 224, 224)
        y = torch.randint(0, 100, (32,))
        with torch.no_grad():
            feats = backbone(x)
        loss = F.cross_entropy(head(feats), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    head.eval()
    with torch.no_grad():
        f_contig = backbone(x)
        f_cl = backbone(x.contiguous(memory_format=torch.channels_last))
        agree = (head(f_contig).argmax(1) == head(f_cl).argmax(1)).float().mean()
    print(f"epoch {epoch}: feat diff {(f_contig - f_cl).abs().max().item():.2e}, argmax agreement {agree:.3f}")
