"""Tiny COCO evaluator wrapper (gathers predictions across ranks, scores on rank 0)."""
import itertools

import torch
import torch.distributed as dist


class COCOEvaluator:
    def __init__(self, dataset_name, distributed=True, score_thresh=0.05, topk=100):
        self.dataset_name = dataset_name
        self.distributed = distributed
        self.score_thresh = score_thresh
        self.topk = topk
        self._predictions = []

    def reset(self):
        self._predictions = []

    def process(self, inputs, outputs):
        for inp, out in zip(inputs, outputs):
            scores = torch.cat([l.sigmoid().flatten(1).max(0)[0] for l in out["logits"]])
            keep = scores > self.score_thresh
            self._predictions.append({"image_id": inp["image_id"],
                                      "num_dets": int(min(keep.sum().item(), self.topk))})

    def evaluate(self):
        preds = self._predictions
        if self.distributed and dist.is_initialized():
            gathered = [None] * dist.get_world_size()
            dist.all_gather_object(gathered, preds)
            preds = list(itertools.chain(*gathered))
            if dist.get_rank() != 0:
                return {}
        n = max(len(preds), 1)
        return {"images": len(preds), "avg_dets": sum(p["num_dets"] for p in preds) / n}
