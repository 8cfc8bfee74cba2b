import numpy as np
import torch
import torchvision.models as models
import torchvision.transforms as transforms
from PIL import Image

import bioval.utils.aggregation as aggregation
import bioval.utils.distance as distance


class ConditionalEvaluation():
    def __init__(self, method: str = 'euclidean', aggregate: str = 'mean', distributed_method: str = 'kid'):
        self._method = method
        self._distributed_method = distributed_method
        self._aggregate = aggregate
        self._methods = distance.get_distance_functions()
        self._distributed_methods = distance.get_distributed_distance_functions()
        self._aggregs = aggregation.get_aggregation_functions()
        self.inception = models.inception_v3(weights=models.Inception_V3_Weights.IMAGENET1K_V1, transform_input=False)
        # delete last layer of inception
        self.inception.fc = torch.nn.Identity()
        if self._method not in list(self._methods.keys()):
            raise ValueError(f"Method {self._method} not available. Available methods are {list(self._methods.keys())}")

    def __call__(self, arr1: torch.Tensor, arr2: torch.Tensor, control=None, k_range=[1, 5, 10],
                 aggregated=True, detailed_output=True, batch_size=256, percent=0.1) -> dict:
        output = {}
        arr1, arr2, control = self._prepare_data_format(arr1, arr2, k_range, control, aggregated, batch_size)
        output['arr1'] = arr1
        output['arr2'] = arr2
        return output

    def _prepare_data_format(self, arr1: torch.Tensor, arr2: torch.Tensor, k_range: list, control=None,
                             aggregated=True, batch_size=256) -> tuple:
        if arr1.device != arr2.device:
            raise ValueError(f"First tensor and second tensor should be on the same device but got {arr1.device} and {arr2.device} respectively")
        # here the code for inception model
        if arr1.ndim in [4, 5]:
            arr1 = self._extract_inception_embeddings(arr1, batch_size)
        if arr2.ndim in [4, 5]:
            arr2 = self._extract_inception_embeddings(arr2, batch_size)
        if control is not None and control.ndim in [3, 4]:
            control = self._extract_inception_embeddings(control, batch_size)
        if arr1.ndim == 3 and aggregated:
            arr1 = self._aggregs[self._aggregate](arr1)
        if arr2.ndim == 3 and aggregated:
            arr2 = self._aggregs[self._aggregate](arr2)
        return arr1, arr2, control

    def _extract_inception_embeddings(self, images: torch.Tensor, batch_size=256) -> torch.Tensor:
        original_transform = transforms.Compose([
            transforms.Resize(299),
            transforms.CenterCrop(299),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        ])
        original_shape = images.shape
        if len(images.shape) == 5:
            images = images.reshape(original_shape[0] * original_shape[1], images.shape[2], images.shape[3], images.shape[4])
        elif len(images.shape) == 3:
            images = images.unsqueeze(0)
        # get the device of the images
        device = images.device
        # move the inception model to the same device as the images
        self.inception.to(device)
        images = images.cpu().numpy().astype(np.uint8)
        images = [Image.fromarray(image.astype(np.uint8)) for image in images]
        images = torch.stack([original_transform(image) for image in images])
        images_shape = images.shape

        # Forward pass the images through the model
        embeddings = self._process_images_in_batches(images, self.inception, device, batch_size)

        if len(original_shape) == 5:
            embeddings = embeddings.reshape(original_shape[0], original_shape[1], -1)
        elif len(original_shape) == 4:
            embeddings = embeddings.reshape(images_shape[0], -1)
        return embeddings

    def _process_images_in_batches(self, images, inception, device, batch_size):
        num_images = len(images)
        embeddings = []

        with torch.no_grad():
            for i in range(0, num_images, batch_size):
                batch_images = images[i:i + min(batch_size, num_images - i)]

                # Handle images with different number of channels
                if batch_images.shape[1] != 3:
                    embeddings_per_channel = []
                    for c in range(batch_images.shape[1]):
                        channel_images = batch_images[:, c:c + 1].expand(-1, 3, -1, -1)
                        channel_images = channel_images.to(device)

                        channel_embeddings, _ = inception(channel_images)
                        channel_embeddings = channel_embeddings.detach()

                        del channel_images

                        channel_embeddings = channel_embeddings.cpu()
                        embeddings_per_channel.append(channel_embeddings)

                    batch_embeddings = torch.cat(embeddings_per_channel, dim=1)
                else:
                    batch_images = batch_images.to(device)

                    batch_embeddings, _ = inception(batch_images)
                    batch_embeddings = batch_embeddings.detach()

                    del batch_images

                    batch_embeddings = batch_embeddings.cpu()

                embeddings.append(batch_embeddings)

        embeddings = torch.cat(embeddings, dim=0)
        embeddings = embeddings.to(device)
        return embeddings


if __name__ == "__main__":
    topk = ConditionalEvaluation(method='euclidean', aggregate='mean')
    arr1 = torch.randint(0, 255, (10, 5, 64, 64, 3))
    arr2 = torch.randint(0, 255, (10, 5, 64, 64, 3))
    result = topk(arr1, arr2, k_range=[1, 5, 10], batch_size=8)
    print(result['arr1'].shape)
