import numpy as np
import onnxruntime as ort
import torch

import model_io
from models import UnetAdaptiveBins

MIN_DEPTH = 1e-3
MAX_DEPTH_KITTI = 80
N_BINS = 256

model = UnetAdaptiveBins.build(n_bins=N_BINS, min_val=MIN_DEPTH, max_val=MAX_DEPTH_KITTI)
pretrained_path = "./pretrained/AdaBins_kitti.pt"
model, _, _ = model_io.load_checkpoint(pretrained_path, model)

img = torch.from_numpy(np.load("kitti_sample.npy")).float().unsqueeze(0)
with torch.no_grad():
    bin_edges, disparity_torch = model(img)
disparity_torch = disparity_torch.numpy()

torch.onnx.export(model, img, "adabins.onnx", opset_version=11,
                  input_names=["input"], output_names=["bin_edges", "depth"])

sess = ort.InferenceSession("adabins.onnx")
disparity_onnx = sess.run(None, {"input": img.numpy()})[1]
print(np.mean((disparity_onnx - disparity_torch) ** 2))
print(np.max((disparity_onnx - disparity_torch) ** 2))
