from torch.utils.data import DataLoader


class Datasets(object):
    def __init__(self, args, make_dataset):
        self.make_dataset = make_dataset
        self.workers = args.workers

    def load(self, set_name):
        dataset = self.make_dataset(set_name)
        loader = DataLoader(dataset, batch_size=12, shuffle=(set_name == "train"), num_workers=self.workers)
        return dataset, loader
