import os
import torch
import torch.nn as nn
import numpy as np
import argparse


class MonolocoModel(nn.Module):
    def __init__(self, input_size, output_size=2):
        super().__init__()
        self.w1 = nn.Linear(input_size, 128)
        self.batch_norm1 = nn.BatchNorm1d(128)
        self.w2 = nn.Linear(128, output_size)

    def forward(self, x):
        return self.w2(self.batch_norm1(self.w1(x)))


class Predictor():
    def __init__(self, args) -> None:
        self.model, self.predictor = self.get_models(ckpt_dir=args.ckpt, json=True)

    def predict_action(self, pifpaf_pred):
        kp_tensor = torch.tensor(pifpaf_pred, dtype=torch.float)
        pred = self.model(kp_tensor)
        result_list = []
        for idx, one_pred in enumerate(pred):
            _, pred_class = torch.max(one_pred.data, -1)
            result_list.append(pred_class.detach().cpu().numpy())
        return np.array(result_list).T

    def get_models(self, ckpt_dir=None, json=True):
        model = MonolocoModel(36, 5)
        if os.path.exists(ckpt_dir):
            model.load_state_dict(torch.load(ckpt_dir))
        predictor = object()
        return model, predictor

    def run(self, args):
        for img in args.images:
            self.predict_action(img)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", type=str, default="a.pth")
    args = parser.parse_args()
    predictor = Predictor(args)
    predictor.run(args)
