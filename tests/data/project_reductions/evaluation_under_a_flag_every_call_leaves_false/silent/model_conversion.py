from pathlib import Path

import torch

from networks.network_loader import load_network


def create_model_input() -> torch.tensor:
    return torch.randn(1, 4, 256, 256, requires_grad=True)


def save_torch_as_onnx(torch_net, onnx_file: Path, model_check=False):
    x = create_model_input()
    if model_check:
        torch_net(x)
    torch_net.eval()
    torch.onnx.export(torch_net, x, onnx_file, input_names=["input"], output_names=["output"])


def torch2onnx(net_file):
    net = load_network(None, net_file)
    onnx_file = Path(net_file).parent / f"{Path(net_file).stem}.onnx"
    save_torch_as_onnx(net, onnx_file)


if __name__ == "__main__":
    torch2onnx("best_net.pkl")
