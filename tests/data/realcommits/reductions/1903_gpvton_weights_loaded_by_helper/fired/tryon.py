import cv2
import torch
from networks import Generator, load_checkpoint_parallel

gen_model = Generator(36)
gen_model.cuda()
gen_model.load_state_dict(torch.load("gen.pth"))

for data in loader:
    outputs = gen_model(data["image"].cuda())
    cv2.imwrite("out.png", outputs[0].permute(1, 2, 0).cpu().numpy())
