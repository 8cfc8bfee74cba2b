import torch
from torch.utils.data import DataLoader


class BaseEvaluator:
    def __init__(self, predictor, data_converter):
        self.predictor = predictor
        self.data_converter = data_converter


class SegEvaluator(BaseEvaluator):
    def __init__(self, predictor, data_converter, slice_shift):
        super().__init__(predictor, data_converter)
        self.slice_shift = slice_shift

    def model_inference(self, vol):
        dataloader = DataLoader(self.data_converter(vol), batch_size=1, shuffle=False)
        preds = []
        for idx, input_data in enumerate(dataloader):
            pred = self.predictor(input_data)['out']
            preds.append(torch.argmax(pred, dim=1))
        return torch.cat(preds)
