from lightning.pytorch import LightningDataModule
from ocf_data_sampler.torch_datasets.pvnet_dataset import PVNetDataset
from torch.utils.data import DataLoader


class PVNetDataModule(LightningDataModule):
    """Datamodule which streams samples using a sampler from ocf-data-sampler."""

    def __init__(self, configuration, train_periods, val_periods, batch_size, num_workers=0,
                 prefetch_factor=None, persistent_workers=False, pin_memory=False):
        super().__init__()
        self.configuration = configuration
        self.train_periods = train_periods
        self.val_periods = val_periods
        self._common_dataloader_kwargs = dict(
            batch_size=batch_size,
            batch_sampler=None,
            num_workers=num_workers,
            pin_memory=pin_memory,
            drop_last=False,
            timeout=0,
            worker_init_fn=None,
            prefetch_factor=prefetch_factor,
            persistent_workers=persistent_workers,
        )

    def setup(self, stage=None):
        if stage == "fit":
            self.train_dataset = PVNetDataset(self.configuration, time_periods=self.train_periods)
            self.val_dataset = PVNetDataset(self.configuration, time_periods=self.val_periods)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.train_dataset, shuffle=True, **self._common_dataloader_kwargs)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.val_dataset, shuffle=False, **self._common_dataloader_kwargs)
