"""Fine-tuning a pretrained ResNet on 1.3k images with a frozen backbone - sanity check

Small medical dataset (1281 labelled images, 4 classes). Following the
advice in the linked thread I freeze the backbone weights AND keep its
BatchNorm layers in eval mode after every model.train(), train only layer4 + fc,
validate with flip TTA, and export to ONNX for the hospital's inference
server. Everything seems to work; posting the full script in case someone
spots a remaining BatchNorm pitfall.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, transforms

NUM_CLASSES = 4
EPOCHS = 25
BATCH_SIZE = 32


def build_model():
    model = torchvision.models.resnet34(weights=torchvision.models.ResNet34_Weights.IMAGENET1K_V1)
    for name, p in model.named_parameters():
        if not name.startswith(("layer4", "fc")):
            p.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, NUM_CLASSES)
    return model


def set_frozen_bn_eval(model):
    for name, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d) and not name.startswith("layer4"):
            m.eval()


def train_one_epoch(model, loader, optimizer, device):
    model.train()
    set_frozen_bn_eval(model)
    total = 0.0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


def predict_tta(model, loader, device):
    model.eval()
    correct, n = 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            probs = (model(x).softmax(1) + model(torch.flip(x, dims=[3])).softmax(1)) / 2
            correct += (probs.argmax(1) == y).sum().item()
            n += y.numel()
    return correct / n


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    tf = transforms.Compose([transforms.Resize((224, 224)), transforms.ToTensor(), norm])
    full = datasets.ImageFolder("data/xray_labelled", transform=tf)
    train_set, val_set = random_split(full, [1025, 256], generator=torch.Generator().manual_seed(0))
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=BATCH_SIZE, num_workers=4)

    model = build_model().to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=3e-4, weight_decay=1e-4)

    best = 0.0
    for epoch in range(EPOCHS):
        loss = train_one_epoch(model, train_loader, optimizer, device)
        acc = predict_tta(model, val_loader, device)
        print(f"epoch {epoch}: loss {loss:.4f} val acc (TTA) {acc:.4f}")
        if acc > best:
            best = acc
            torch.save(model.state_dict(), "best_resnet34_xray.pth")

    model.load_state_dict(torch.load("best_resnet34_xray.pth", map_location=device))
    model.eval()
    dummy = torch.randn(1, 3, 224, 224, device=device)
    torch.onnx.export(model, dummy, "resnet34_xray.onnx", input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": {0: "batch"}})
    print("best val acc", best)


if __name__ == "__main__":
    main()
