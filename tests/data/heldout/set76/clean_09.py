"""gRPC content-moderation classifier (safe / suggestive / explicit / violent).

Model: MobileNetV3-Large fine-tuned in-house; the state_dict path and the
device come from the environment.  Stubs are generated from
protos/moderation.proto into moderation_pb2*.py.
"""
import io
import logging
import os
import signal
from concurrent import futures

import grpc
import torch
import torch.nn as nn
from PIL import Image
from torchvision import models, transforms

import moderation_pb2
import moderation_pb2_grpc

LABELS = ["safe", "suggestive", "explicit", "violent"]
log = logging.getLogger("moderation")


class ModerationService(moderation_pb2_grpc.ModerationServicer):
    def __init__(self, weights, device):
        self.device = torch.device(device)
        net = models.mobilenet_v3_large(weights=None)
        net.classifier[3] = nn.Linear(net.classifier[3].in_features, len(LABELS))
        net.load_state_dict(torch.load(weights, map_location="cpu"))
        net.train(False)
        self.model = net.to(self.device)
        self.tf = transforms.Compose([
            transforms.Resize(232),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        ])
        self.thresholds = {"explicit": 0.35, "violent": 0.4, "suggestive": 0.6}

    def _scores(self, blobs):
        x = torch.stack([self.tf(Image.open(io.BytesIO(b)).convert("RGB")) for b in blobs])
        with torch.inference_mode():
            return torch.softmax(self.model(x.to(self.device)), dim=1).cpu()

    def Classify(self, request, context):
        if not request.items:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "empty request")
        try:
            probs = self._scores([item.image for item in request.items])
        except OSError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"undecodable image: {exc}")

        reply = moderation_pb2.ClassifyReply()
        for item, row in zip(request.items, probs):
            scores = {lab: float(p) for lab, p in zip(LABELS, row)}
            blocked = any(scores[k] >= t for k, t in self.thresholds.items())
            reply.results.add(id=item.id, scores=scores, blocked=blocked,
                              top_label=LABELS[int(row.argmax())])
        return reply


def main():
    logging.basicConfig(level=logging.INFO)
    weights = os.environ["MODERATION_WEIGHTS"]
    device = os.environ.get("MODERATION_DEVICE", "cuda" if torch.cuda.is_available() else "cpu")
    port = int(os.environ.get("PORT", "50052"))

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    moderation_pb2_grpc.add_ModerationServicer_to_server(ModerationService(weights, device), server)
    server.add_insecure_port(f"[::]:{port}")
    server.start()
    log.info("moderation service on :%d (%s)", port, device)

    def _stop(signum, frame):
        log.info("signal %d, draining", signum)
        server.stop(grace=10)

    signal.signal(signal.SIGTERM, _stop)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
