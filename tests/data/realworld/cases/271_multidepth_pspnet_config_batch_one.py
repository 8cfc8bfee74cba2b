import torch
import yaml
from torch.utils import data

from ptsemseg.loader import get_loader
from ptsemseg.models import get_model

# configs/example_config.yml as run by the reporter (training.batch_size lowered to 1)
cfg = yaml.safe_load("""
model: {arch: pspnet}
data: {dataset: kitti_multi_depth, train_split: train, path: /root/data/kitti, img_rows: 128, img_cols: 128}
training: {train_iters: 500000, batch_size: 1, n_workers: 1}
""")


def train(cfg):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    data_loader = get_loader(cfg["data"]["dataset"])
    t_loader = data_loader(cfg["data"]["path"], is_transform=True, split=cfg["data"]["train_split"],
                           img_size=(cfg["data"]["img_rows"], cfg["data"]["img_cols"]))
    trainloader = data.DataLoader(t_loader, batch_size=cfg["training"]["batch_size"],
                                  num_workers=cfg["training"]["n_workers"], shuffle=True)
    model = get_model(cfg["model"], t_loader.n_classes).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1.0e-4)
    i = 0
    while i <= cfg["training"]["train_iters"]:
        for images, labels in trainloader:
            i += 1
            model.train()
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(images.to(device)), labels.to(device))
            loss.backward()
            optimizer.step()


if __name__ == "__main__":
    train(cfg)
