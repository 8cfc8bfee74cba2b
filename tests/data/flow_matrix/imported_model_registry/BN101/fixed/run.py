from torch.utils.data import DataLoader

from utils import get_model, test_model

row = {"name": "small", "path": "small.pth"}
model = get_model(row)
loader = DataLoader([], batch_size=32)
print(test_model(model, loader))
