from model import build_model
from evaluator import SegEvaluator


def main(path, volumes):
    predictor = build_model.build_seg_model(checkpoint_path=path)
    evaluator = SegEvaluator(predictor, lambda v: v, 0)
    for vol in volumes:
        print(evaluator.model_inference(vol))
