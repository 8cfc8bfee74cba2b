from dataclasses import dataclass, field


@dataclass
class TrainConfig:
    data_dir: str = "../input/ventilator-pressure-prediction"
    out_dir: str = "./models"
    seq_len: int = 80
    num_features: int = 9
    rc_vocab: int = 16
    rc_emb_dim: int = 8
    conv_dim: int = 128
    gru_hidden: int = 256
    gru_layers: int = 3
    dropout: float = 0.1
    batch_size: int = 512
    epochs: int = 150
    lr: float = 2e-3
    n_folds: int = 5
    seed: int = 2021
    folds_to_run: list = field(default_factory=lambda: [0, 1, 2, 3, 4])
