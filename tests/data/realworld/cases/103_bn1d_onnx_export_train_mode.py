import numpy as np
import onnxruntime as ort
import torch

np.random.seed(0)
example_input = np.random.randn(3, 3).astype(np.float32)
example_input = torch.from_numpy(example_input)

batchnorm1d = torch.nn.BatchNorm1d(3)
batchnorm1d_output_pytorch = batchnorm1d(example_input)
torch.onnx.export(batchnorm1d, example_input, "./models/BatchNorm1d.onnx", verbose=False)
print("pytorch batchnorm1d input: ", example_input)
print("pytorch batchnorm1d output: ", batchnorm1d_output_pytorch)

ort_session = ort.InferenceSession("./models/BatchNorm1d.onnx")
onnx_out = ort_session.run(None, {ort_session.get_inputs()[0].name: example_input.numpy()})
print("onnx batchnorm1d output: ", onnx_out[0])
np.testing.assert_allclose(batchnorm1d_output_pytorch.detach().numpy(), onnx_out[0], rtol=1e-3)
