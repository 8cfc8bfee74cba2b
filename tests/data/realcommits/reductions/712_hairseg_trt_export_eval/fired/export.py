import torch
import torch.nn as nn
import torch_tensorrt

if __name__ == "__main__":
    net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())
    trace_model = torch.jit.trace(net, torch.randn(1, 3, 224, 224))
    trt_module = torch_tensorrt.compile(trace_model, inputs=[torch_tensorrt.Input([1, 3, 224, 224])])
    torch.jit.save(trt_module, "trt.ts")
