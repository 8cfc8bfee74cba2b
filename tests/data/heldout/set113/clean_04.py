# Classificador de placas de trânsito (GTSRB) para rodar num Raspberry Pi:
# treino em float -> fusão conv+bn+relu -> quantização estática int8 -> ONNX/TorchScript.
import argparse, copy, logging, os
import torch, torch.nn as nn, torch.nn.functional as F
import torch.ao.quantization as tq
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms as T

log = logging.getLogger("placas"); logging.basicConfig(level=logging.INFO)
TAM = 48; N_CLASSES = 43


class RedePlacas(nn.Module):
    def __init__(self, n=N_CLASSES):
        super().__init__()
        self.quant = tq.QuantStub(); self.dequant = tq.DeQuantStub()
        self.c1 = nn.Conv2d(3, 32, 3, padding=1, bias=False); self.bn1 = nn.BatchNorm2d(32); self.relu1 = nn.ReLU()
        self.c2 = nn.Conv2d(32, 64, 3, padding=1, bias=False); self.bn2 = nn.BatchNorm2d(64); self.relu2 = nn.ReLU()
        # bloco "conv -> relu -> bn" (ordem do artigo original): o viés da conv passa pela ReLU, não é cancelado
        self.c3 = nn.Conv2d(64, 96, 3, padding=1); self.relu3 = nn.ReLU(); self.bn3 = nn.BatchNorm2d(96)
        self.pool = nn.MaxPool2d(2); self.gap = nn.AdaptiveAvgPool2d(1); self.fc = nn.Linear(96, n)

    def forward(self, x):
        x = self.quant(x)
        x = self.pool(self.relu1(self.bn1(self.c1(x)))); x = self.pool(self.relu2(self.bn2(self.c2(x)))); x = self.bn3(self.relu3(self.c3(x)))
        return self.dequant(self.fc(torch.flatten(self.gap(x), 1)))


def treinar(modelo, loader, otim, disp):
    modelo.train(); total = 0.0
    for x, y in loader:
        x, y = x.to(disp), y.to(disp); otim.zero_grad(); perda = F.cross_entropy(modelo(x), y); perda.backward(); otim.step(); total += perda.item()
    return total / len(loader)


@torch.no_grad()
def acuracia(modelo, loader, disp="cpu"):
    estava_treinando = modelo.training; modelo.eval(); ok = n = 0
    for x, y in loader:
        ok += (modelo(x.to(disp)).argmax(1).cpu() == y).sum().item(); n += len(y)
    modelo.train(estava_treinando)
    return ok / n


def main():
    ap = argparse.ArgumentParser(); ap.add_argument("--raiz", default="./gtsrb"); ap.add_argument("--epocas", type=int, default=15); ap.add_argument("--lote", type=int, default=64)
    a = ap.parse_args(); disp = "cuda" if torch.cuda.is_available() else "cpu"
    tf = T.Compose([T.Resize((TAM, TAM)), T.ToTensor(), T.Normalize((0.34, 0.31, 0.32), (0.27, 0.26, 0.27))])
    treino = datasets.GTSRB(a.raiz, split="train", download=True, transform=tf); teste = datasets.GTSRB(a.raiz, split="test", download=True, transform=tf)
    lt = DataLoader(treino, batch_size=a.lote, shuffle=True, num_workers=4, drop_last=True); lv = DataLoader(teste, batch_size=256, num_workers=4)

    modelo = RedePlacas().to(disp); otim = torch.optim.Adam(modelo.parameters(), lr=1e-3)
    for ep in range(a.epocas):
        p = treinar(modelo, lt, otim, disp); log.info("época %02d perda %.4f acc %.4f", ep, p, acuracia(modelo, lv, disp))
    if modelo.training:
        log.info("fim do treino: trocando para modo de inferência")

    # ---- exportação: tudo em modo eval ----
    modelo = modelo.cpu(); modelo.eval()
    exemplo = torch.randn(1, 3, TAM, TAM)
    torch.onnx.export(modelo, exemplo, "placas_fp32.onnx", input_names=["img"], output_names=["logits"], opset_version=17)
    rastreado = torch.jit.trace(modelo, exemplo); rastreado.save("placas_fp32.pt")

    fundido = tq.fuse_modules(modelo, [["c1", "bn1", "relu1"], ["c2", "bn2", "relu2"]], inplace=False)
    fundido.qconfig = tq.get_default_qconfig("qnnpack"); preparado = tq.prepare(fundido, inplace=False)
    calib = DataLoader(Subset(teste, range(512)), batch_size=64)
    with torch.no_grad():
        for x, _ in calib:
            preparado(x)
    quantizado = tq.convert(preparado, inplace=False)
    log.info("acc int8: %.4f", acuracia(quantizado, lv)); torch.jit.save(torch.jit.script(quantizado), "placas_int8.pt"); log.info("tamanho: %.1f KB", os.path.getsize("placas_int8.pt") / 1024)


if __name__ == "__main__":
    main()
