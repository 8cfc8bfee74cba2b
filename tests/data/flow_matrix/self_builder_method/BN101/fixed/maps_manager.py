import torch

from networks import Conv5FC3


class MapsManager:
    def __init__(self, maps_path):
        self.maps_path = maps_path

    def _init_model(self, split):
        model = Conv5FC3()
        model.load_state_dict(torch.load(self.maps_path / f"split-{split}" / "best.pt"))
        return model

    def compute_output_tensors(self, dataset, split):
        model = self._init_model(split)
        model.eval()
        for i in range(len(dataset)):
            image = dataset[i]["image"].unsqueeze(0)
            output = model(image)
            torch.save(output.squeeze(0).cpu(), self.maps_path / "tensors" / f"{i}_output.pt")
