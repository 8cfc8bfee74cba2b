import os

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
from tqdm import tqdm


class ConvBNAct(nn.Sequential):
    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class SegNetLite(nn.Module):
    def __init__(self, num_class=19):
        super().__init__()
        self.stem = ConvBNAct(3, 32, 3, 2)
        self.body = ConvBNAct(32, 64, 3, 2)
        self.head = nn.Conv2d(64, num_class, 1)

    def forward(self, x, is_training=False):
        size = x.size()[2:]
        x = self.head(self.body(self.stem(x)))
        return nn.functional.interpolate(x, size, mode='bilinear', align_corners=True)


def get_model(config):
    model_hub = {'segnetlite': SegNetLite}
    return model_hub[config.model](num_class=config.num_class)


class BaseTrainer:
    def __init__(self, config):
        self.device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
        # Define model and put it to the selected device
        self.model = get_model(config).to(self.device)
        if config.is_testing:
            self.test_loader = config.get_test_loader()
        self.load_ckpt(config)

    def load_ckpt(self, config):
        if config.load_ckpt and os.path.isfile(config.load_ckpt_path):
            checkpoint = torch.load(config.load_ckpt_path, map_location=torch.device(self.device))
            self.model.load_state_dict(checkpoint['state_dict'])
            del checkpoint
        elif config.is_testing:
            raise ValueError(f'Could not find any pretrained checkpoint at path: {config.load_ckpt_path}.')

    def predict(self, config):
        raise NotImplementedError()


class SegTrainer(BaseTrainer):
    def __init__(self, config):
        super().__init__(config)
        if config.is_testing:
            self.colormap = torch.tensor(config.colormap).to(self.device)

    @torch.no_grad()
    def predict(self, config):
        if config.DDP:
            raise ValueError('Predict mode currently does not support DDP.')

        self.model.eval()  # Put model in evalation mode

        for (images, images_aug, img_names) in tqdm(self.test_loader):
            images_aug = images_aug.to(self.device, dtype=torch.float32)

            preds = self.model(images_aug)

            preds = self.colormap[preds.max(dim=1)[1]].cpu().numpy()
            images = images.cpu().numpy()

            # Saving results
            for i in range(preds.shape[0]):
                save_path = os.path.join(config.save_dir, img_names[i])
                pred = Image.fromarray(preds[i].astype(np.uint8))
                if config.save_mask:
                    pred.save(save_path)
                if config.blend_prediction:
                    image = Image.fromarray(images[i].astype(np.uint8))
                    image = Image.blend(image, pred, config.blend_alpha)
                    image.save(save_path.replace('.png', '_blend.png'))


if __name__ == '__main__':
    from configs import MyConfig

    config = MyConfig()
    config.init_dependent_config()
    trainer = SegTrainer(config)
    if config.is_testing:
        trainer.predict(config)
    else:
        trainer.run(config)
