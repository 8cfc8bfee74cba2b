# Single-GPU fine-tuning script (copied from our multi-GPU codebase) fails with
#   ValueError: Default process group has not been initialized
# and even on the old version the "frozen" BN statistics still drift.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

torch.manual_seed(0)
device = torch.device("cuda")

model = torchvision.models.resnet50(weights=None, num_classes=20)
model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

# freeze BN statistics: our fine-tuning set is tiny
for m in model.modules():
    if isinstance(m, nn.modules.batchnorm._BatchNorm):
        m.eval()

model.to(device)
opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-4)
ref_var = model.bn1.running_var.clone()

for epoch in range(3):
    model.train()  # expect: BN105
    for step in range(10):
        x = torch.randn(16, 3, 224, 224, device=device)
        y = torch.randint(0, 20, (16,), device=device)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    drift = (model.bn1.running_var - ref_var).abs().max().item()
    print(f"epoch {epoch}: loss {loss.item():.3f}, bn1 running_var drift {drift:.4f}")
