"""Offline candidate scoring job: for each request row (one user with a list of
candidate items from the ANN index) score all candidates and keep the top-k.

    python serve.py /checkpoints/two_tower/best.pt requests/ out/ --k 100
"""
from __future__ import annotations

import argparse
import json
import os
from typing import Dict, Iterator

import torch

from config import MODEL
from models import build_model


def iterate_requests(root: str) -> Iterator[Dict]:
    for name in sorted(os.listdir(root)):
        if not name.endswith(".pt"):
            continue
        for req in torch.load(os.path.join(root, name)):
            yield req


def expand_user(user: Dict[str, torch.Tensor], n: int) -> Dict[str, torch.Tensor]:
    return {k: v.unsqueeze(0).expand(n, *v.shape) for k, v in user.items()}


@torch.inference_mode()
def score_requests(ckpt_path: str, req_dir: str, out_dir: str, k: int, device: str) -> int:
    model = build_model(MODEL)
    state = torch.load(ckpt_path, map_location="cpu")
    model.load_state_dict(state["model"])
    model.to(device)
    model.training = False  # expect: BN102

    os.makedirs(out_dir, exist_ok=True)
    written = 0
    with open(os.path.join(out_dir, "topk.jsonl"), "w") as fh:
        for req in iterate_requests(req_dir):
            items = {name: t.to(device) for name, t in req["candidates"].items()}
            n = items["item_id"].shape[0]
            user = expand_user({name: t.to(device) for name, t in req["user"].items()}, n)
            scores = model(user, items)  # expect: BN101
            top = torch.topk(scores, min(k, n))
            ids = items["item_id"][top.indices].tolist()
            fh.write(json.dumps({"user": req["user_key"], "items": ids,
                                 "scores": [round(s, 5) for s in top.values.tolist()]}) + "\n")
            written += 1
    return written


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("requests")
    p.add_argument("out")
    p.add_argument("--k", type=int, default=100)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()
    n = score_requests(args.checkpoint, args.requests, args.out, args.k, args.device)
    print(f"scored {n} requests")


if __name__ == "__main__":
    main()
