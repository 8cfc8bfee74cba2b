"""Export the best checkpoint to ONNX and to a conv-BN fused TorchScript model."""
import torch
from torch.ao.quantization import fuse_modules

from config import Config
from engine import load_model

if __name__ == "__main__":
    cfg = Config()
    model = load_model(cfg, f"{cfg.out_dir}/best.pt")
    frames = int(cfg.cycle_seconds * cfg.sample_rate) // 64 + 1
    dummy = torch.randn(1, 1, cfg.n_mels, frames)
    torch.onnx.export(model, dummy, f"{cfg.out_dir}/lungnet.onnx", input_names=["logmel"],
                      output_names=["logits"], dynamic_axes={"logmel": {0: "batch"}}, opset_version=17)

    fused = fuse_modules(model, [["stem.0", "stem.1", "stem.2"]], inplace=False)
    scripted = torch.jit.trace(fused, dummy)
    scripted.save(f"{cfg.out_dir}/lungnet_fused.ts")
    print("exported to", cfg.out_dir)
