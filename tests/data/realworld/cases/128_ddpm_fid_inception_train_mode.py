import math
import os

import numpy as np
import torch
from einops import rearrange, repeat
from pytorch_fid.fid_score import calculate_frechet_distance
from pytorch_fid.inception import InceptionV3
from torch.nn.functional import adaptive_avg_pool2d


class FIDEvaluation:
    def __init__(self, batch_size, dl, sampler, channels=3, stats_dir="./results", device="cuda",
                 num_fid_samples=50000, inception_block_idx=2048):
        self.batch_size = batch_size
        self.n_samples = num_fid_samples
        self.device = device
        self.channels = channels
        self.dl = dl
        self.sampler = sampler
        self.stats_dir = stats_dir
        block_idx = InceptionV3.BLOCK_INDEX_BY_DIM[inception_block_idx]
        self.inception_v3 = InceptionV3([block_idx]).to(device)
        self.dataset_stats_loaded = False

    def calculate_inception_features(self, samples):
        if self.channels == 1:
            samples = repeat(samples, "b 1 ... -> b c ...", c=3)
        features = self.inception_v3(samples)[0]
        if features.size(2) != 1 or features.size(3) != 1:
            features = adaptive_avg_pool2d(features, output_size=(1, 1))
        return rearrange(features, "... 1 1 -> ...")

    def load_or_precalc_dataset_stats(self):
        path = os.path.join(self.stats_dir, "dataset_stats")
        num_batches = int(math.ceil(self.n_samples / self.batch_size))
        stacked_real_features = []
        for _ in range(num_batches):
            real_samples = next(self.dl).to(self.device)
            stacked_real_features.append(self.calculate_inception_features(real_samples))
        stacked_real_features = torch.cat(stacked_real_features, dim=0).cpu().numpy()
        self.m2 = np.mean(stacked_real_features, axis=0)
        self.s2 = np.cov(stacked_real_features, rowvar=False)
        np.savez_compressed(path, m2=self.m2, s2=self.s2)
        self.dataset_stats_loaded = True

    @torch.inference_mode()
    def fid_score(self):
        if not self.dataset_stats_loaded:
            self.load_or_precalc_dataset_stats()
        self.sampler.eval()
        stacked_fake_features = []
        for batch in [self.batch_size] * (self.n_samples // self.batch_size):
            fake_samples = self.sampler.sample(batch_size=batch)
            stacked_fake_features.append(self.calculate_inception_features(fake_samples))
        stacked_fake_features = torch.cat(stacked_fake_features, dim=0).cpu().numpy()
        m1 = np.mean(stacked_fake_features, axis=0)
        s1 = np.cov(stacked_fake_features, rowvar=False)
        return calculate_frechet_distance(m1, s1, self.m2, self.s2)
