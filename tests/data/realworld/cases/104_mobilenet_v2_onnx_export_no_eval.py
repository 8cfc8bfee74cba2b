import numpy as np
import onnxruntime
import torch
import torchvision

torch.manual_seed(17)
np.random.seed(17)

image_height = 224
image_width = 224
image_channels = 3
batch_size = 10

np_dummy_input = np.array(
    list(range(batch_size * image_width * image_height * image_channels)), dtype=np.float32
)
# channel last -> channel first
np_dummy_input = np_dummy_input.reshape((batch_size, image_height, image_width, image_channels)).transpose((0, 3, 1, 2))
dummy_input = torch.from_numpy(np_dummy_input)

model = torchvision.models.mobilenet_v2(pretrained=True).cpu()

with torch.no_grad():
    flatten_res = model(dummy_input).numpy().flatten()
    print(flatten_res)

torch.onnx.export(model, dummy_input, "temp.onnx", verbose=False)

ort_session = onnxruntime.InferenceSession("temp.onnx")
ort_inputs = {ort_session.get_inputs()[0].name: np_dummy_input}
ort_outs = ort_session.run(None, ort_inputs)
print(np.array(ort_outs[0]).flatten())
