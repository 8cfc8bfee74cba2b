import cv2
import torch
from networks import Generator

gen_model = Generator(36)
gen_model.load_state_dict(torch.load("gen.pth"))
model_gen = torch.nn.parallel.DistributedDataParallel(gen_model, device_ids=[0])

for data in loader:
    outputs = model_gen(data["image"].cuda())
    cv2.imwrite("out.png", outputs[0].permute(1, 2, 0).cpu().numpy())
