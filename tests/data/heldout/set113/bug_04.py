# Treino de uma CNN simples para classificação de doenças em folhas de café
# (dataset próprio organizado em pastas: dados/treino/<classe>/*.jpg, dados/teste/<classe>/*.jpg)
# Autor: Rafael — TCC 2023
import argparse, os, logging
import torch, torch.nn as nn, torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms as T

log = logging.getLogger("folhas"); logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

TAM = 96; MEDIA = [0.485, 0.456, 0.406]; DESVIO = [0.229, 0.224, 0.225]


class RedeFolhas(nn.Module):
    def __init__(self, n_classes=5):
        super().__init__()
        self.c1 = nn.Conv2d(3, 32, 3, padding=1, bias=False); self.bn1 = nn.BatchNorm2d(32, 0.1)  # expect: BN206
        self.c2 = nn.Conv2d(32, 64, 3, padding=1, bias=False); self.bn2 = nn.BatchNorm2d(64)
        self.c3 = nn.Conv2d(64, 128, 3, padding=1, bias=False); self.bn3 = nn.BatchNorm2d(128)
        self.pool = nn.MaxPool2d(2); self.gap = nn.AdaptiveAvgPool2d(1); self.drop = nn.Dropout(0.25); self.fc = nn.Linear(128, n_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.c1(x)))); x = self.pool(F.relu(self.bn2(self.c2(x)))); x = F.relu(self.bn3(self.c3(x)))
        return self.fc(self.drop(torch.flatten(self.gap(x), 1)))


def carregar_dados(raiz, lote):
    t_treino = T.Compose([T.RandomResizedCrop(TAM, scale=(0.7, 1.0)), T.RandomHorizontalFlip(), T.ColorJitter(0.2, 0.2, 0.2), T.ToTensor(), T.Normalize(MEDIA, DESVIO)])
    t_teste = T.Compose([T.Resize(TAM + 8), T.CenterCrop(TAM), T.ToTensor(), T.Normalize(MEDIA, DESVIO)])
    treino = datasets.ImageFolder(os.path.join(raiz, "treino"), transform=t_treino); teste = datasets.ImageFolder(os.path.join(raiz, "teste"), transform=t_teste)
    return DataLoader(treino, batch_size=lote, shuffle=True, num_workers=4, drop_last=True), DataLoader(teste, batch_size=64, num_workers=4), len(treino.classes)


def treinar_epoca(modelo, loader, otim, disp):
    modelo.train(); perda_total = 0.0
    for x, y in loader:
        x, y = x.to(disp), y.to(disp); otim.zero_grad(); perda = F.cross_entropy(modelo(x), y); perda.backward(); otim.step(); perda_total += perda.item()
    return perda_total / max(len(loader), 1)


def avaliar(modelo, loader, disp):
    modelo.eval(); acertos = total = 0
    with torch.no_grad():
        for x, y in loader:
            pred = modelo(x.to(disp)).argmax(1).cpu(); acertos += (pred == y).sum().item(); total += y.size(0)
    return acertos / max(total, 1)


def salvar_checkpoint(modelo, otim, epoca, caminho):
    # coloca em modo de inferência antes de salvar (pra exportar depois)
    modelo.eval  # expect: BN102
    torch.save({"epoca": epoca, "modelo": modelo.state_dict(), "otim": otim.state_dict()}, caminho); log.info("checkpoint salvo em %s", caminho)


def main():
    ap = argparse.ArgumentParser(); ap.add_argument("--dados", default="dados"); ap.add_argument("--epocas", type=int, default=25); ap.add_argument("--lote", type=int, default=32); ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args(); disp = "cuda" if torch.cuda.is_available() else "cpu"
    treino_loader, teste_loader, n_classes = carregar_dados(args.dados, args.lote)
    modelo = RedeFolhas(n_classes).to(disp); otim = torch.optim.Adam(modelo.parameters(), lr=args.lr); sched = torch.optim.lr_scheduler.StepLR(otim, step_size=10, gamma=0.1)

    for epoca in range(args.epocas):
        perda = treinar_epoca(modelo, treino_loader, otim, disp); sched.step()
        log.info("época %02d  perda %.4f  lr %.2e", epoca, perda, sched.get_last_lr()[0])

    salvar_checkpoint(modelo, otim, args.epocas, "folhas_final.pt")
    exemplo = torch.randn(1, 3, TAM, TAM, device=disp)
    torch.onnx.export(modelo, exemplo, "folhas.onnx", input_names=["imagem"], output_names=["logits"], opset_version=17)  # expect: BN104
    log.info("acurácia no teste: %.3f", avaliar(modelo, teste_loader, disp))


if __name__ == "__main__":
    main()
