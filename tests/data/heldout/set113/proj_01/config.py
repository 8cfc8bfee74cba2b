"""Hiperparâmetros centralizados — editar aqui, não nos scripts."""
from pathlib import Path

RAIZ_DADOS = Path("dados/peixes")
TAMANHO_IMAGEM = 128
TAMANHO_LOTE = 4          # GPU da bolsa (GTX 1050, 2 GB) não aguenta mais que isso
EPOCAS = 30
LR = 1e-3
CANAIS = (32, 64, 128)
N_CLASSES = 9
SEMENTE = 1234
