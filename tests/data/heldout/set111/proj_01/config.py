"""Global configuration for the Plant Seedlings pipeline (Kaggle-style CFG class)."""
import torch


class CFG:
    competition = "plant-seedlings"
    data_dir = "../input/plant-seedlings-classification"
    output_dir = "./output"
    model_name = "convnext_small"
    pretrained = True
    img_size = 384
    num_classes = 12
    embed_dim = 512
    n_folds = 5
    trn_folds = [0, 1, 2, 3, 4]
    epochs = 12
    batch_size = 32
    num_workers = 4
    lr = 2e-4
    weight_decay = 1e-2
    seed = 42
    tta = True
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
