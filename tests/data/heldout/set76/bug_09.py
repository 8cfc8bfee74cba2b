"""gRPC image-embedding server.

Serves 512-d L2-normalised embeddings from a ResNet-18 trunk fine-tuned for
product retrieval.  Protobuf stubs are generated from protos/embedder.proto:

    python -m grpc_tools.protoc -Iprotos --python_out=. --grpc_python_out=. protos/embedder.proto
"""
import argparse
import io
import logging
import time
from concurrent import futures

import grpc
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torchvision import models, transforms

import embedder_pb2
import embedder_pb2_grpc

log = logging.getLogger("embedder")

PREPROCESS = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
])


class EmbedderServicer(embedder_pb2_grpc.EmbedderServicer):
    def __init__(self, weights_path, device, embed_dim=512, max_batch=32):
        self.device = torch.device(device)
        self.max_batch = max_batch
        trunk = models.resnet18(weights=None)
        trunk.fc = nn.Linear(trunk.fc.in_features, embed_dim)
        state = torch.load(weights_path, map_location="cpu")
        trunk.load_state_dict(state["model"] if "model" in state else state)
        self.model = trunk.to(self.device)
        self.embed_dim = embed_dim
        log.info("model ready on %s", self.device)

    def _decode(self, blob):
        img = Image.open(io.BytesIO(blob)).convert("RGB")
        return PREPROCESS(img)

    def Embed(self, request, context):
        if not request.images:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "no images in request")
        if len(request.images) > self.max_batch:
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                          f"batch of {len(request.images)} exceeds {self.max_batch}")
        try:
            batch = torch.stack([self._decode(b) for b in request.images])
        except Exception as exc:  # noqa: BLE001 - report any decoding problem to the client
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"bad image: {exc}")

        t0 = time.perf_counter()
        with torch.inference_mode():
            emb = self.model(batch.to(self.device, non_blocking=True))  # expect: BN101
            emb = F.normalize(emb.float(), dim=1).cpu().numpy().astype(np.float32)
        elapsed = (time.perf_counter() - t0) * 1000.0

        reply = embedder_pb2.EmbedReply(dim=self.embed_dim, latency_ms=elapsed)
        for row in emb:
            reply.embeddings.add(values=row.tolist())
        return reply

    def Health(self, request, context):
        return embedder_pb2.HealthReply(ok=True, device=str(self.device))


def serve():
    p = argparse.ArgumentParser()
    p.add_argument("--weights", required=True)
    p.add_argument("--port", type=int, default=50051)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()

    logging.basicConfig(level=logging.INFO)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=args.workers),
                         options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])
    embedder_pb2_grpc.add_EmbedderServicer_to_server(
        EmbedderServicer(args.weights, args.device), server)
    server.add_insecure_port(f"[::]:{args.port}")
    server.start()
    log.info("listening on :%d", args.port)
    server.wait_for_termination()


if __name__ == "__main__":
    serve()
