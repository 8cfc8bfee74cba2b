import torch

from core import SegmentationModel


class CellModel(SegmentationModel):
    def network(self, x):
        self.net.eval()
        with torch.no_grad():
            return self.net(x)

    def segment_dataset(self, dataset):
        loader = torch.utils.data.DataLoader(dataset, batch_size=8)
        self.net.eval()
        masks = []
        for batch in loader:
            with torch.no_grad():
                masks.append(self.net(batch))
        return masks
