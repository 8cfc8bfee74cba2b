from abc import abstractmethod

import torch
from torch import nn, optim
from torch.optim import Adam
from torch.utils.data import DataLoader
from torchvision.models import resnet18
from tqdm import tqdm

from easyfsl.data_tools import EasySet, TaskSampler
from easyfsl.utils import sliding_average, compute_backbone_output_shape, compute_prototypes


class AbstractMetaLearner(nn.Module):
    def __init__(self, backbone: nn.Module):
        super().__init__()

        self.backbone = backbone
        self.backbone_output_shape = compute_backbone_output_shape(backbone)
        self.feature_dimension = self.backbone_output_shape[0]
        self.loss_function = nn.CrossEntropyLoss()

        self.best_validation_accuracy = 0.0
        self.best_model_state = None

    @abstractmethod
    def forward(self, query_images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("All few-shot algorithms must implement a forward method.")

    @abstractmethod
    def process_support_set(self, support_images: torch.Tensor, support_labels: torch.Tensor):
        raise NotImplementedError("All few-shot algorithms must implement a process_support_set method.")

    def evaluate_on_one_task(self, support_images, support_labels, query_images, query_labels):
        self.process_support_set(support_images.cuda(), support_labels.cuda())
        return (
            torch.max(
                self(query_images.cuda()).detach().data,
                1,
            )[1]
            == query_labels.cuda()
        ).sum().item(), len(query_labels)

    def evaluate(self, data_loader: DataLoader) -> float:
        total_predictions = 0
        correct_predictions = 0

        self.eval()
        with torch.no_grad():
            with tqdm(enumerate(data_loader), total=len(data_loader), desc="Evaluation") as tqdm_eval:
                for _, (support_images, support_labels, query_images, query_labels, _) in tqdm_eval:
                    correct, total = self.evaluate_on_one_task(
                        support_images, support_labels, query_images, query_labels
                    )

                    total_predictions += total
                    correct_predictions += correct

                    tqdm_eval.set_postfix(accuracy=correct_predictions / total_predictions)

        return correct_predictions / total_predictions

    def compute_loss(self, classification_scores: torch.Tensor, query_labels: torch.Tensor) -> torch.Tensor:
        return self.loss_function(classification_scores, query_labels)

    def fit_on_task(self, support_images, support_labels, query_images, query_labels, optimizer: optim.Optimizer) -> float:
        self.train()
        optimizer.zero_grad()
        self.process_support_set(support_images.cuda(), support_labels.cuda())
        classification_scores = self(query_images.cuda())

        loss = self.compute_loss(classification_scores, query_labels.cuda())
        loss.backward()
        optimizer.step()

        return loss.item()

    def fit(self, train_loader: DataLoader, optimizer: optim.Optimizer, val_loader: DataLoader = None,
            validation_frequency: int = 1000) -> float:
        log_update_frequency = 10

        all_loss = []
        with tqdm(enumerate(train_loader), total=len(train_loader), desc="Meta-Training") as tqdm_train:
            for episode_index, (support_images, support_labels, query_images, query_labels, _) in tqdm_train:
                loss_value = self.fit_on_task(
                    support_images,
                    support_labels,
                    query_images,
                    query_labels,
                    optimizer,
                )
                all_loss.append(loss_value)

                if episode_index % log_update_frequency == 0:
                    tqdm_train.set_postfix(loss=sliding_average(all_loss, log_update_frequency))

                if val_loader:
                    if (episode_index + 1) % validation_frequency == 0:
                        self.validate(val_loader)

        return sum(all_loss) / len(all_loss)

    def validate(self, val_loader: DataLoader) -> float:
        validation_accuracy = self.evaluate(val_loader)
        print(f"Validation accuracy: {(100 * validation_accuracy):.2f}%")
        if validation_accuracy > self.best_validation_accuracy:
            print("Best validation accuracy so far!")
            self.best_model_state = self.state_dict()
            self.best_validation_accuracy = validation_accuracy

        return validation_accuracy


class PrototypicalNetworks(AbstractMetaLearner):
    def __init__(self, *args):
        super().__init__(*args)

        if len(self.backbone_output_shape) != 1:
            raise ValueError(
                "Illegal backbone for Prototypical Networks. "
                "Expected output for an image is a 1-dim tensor."
            )

        self.prototypes = None

    def process_support_set(self, support_images: torch.Tensor, support_labels: torch.Tensor):
        support_features = self.backbone.forward(support_images)
        self.prototypes = compute_prototypes(support_features, support_labels)

    def forward(self, query_images: torch.Tensor) -> torch.Tensor:
        z_query = self.backbone.forward(query_images)
        dists = torch.cdist(z_query, self.prototypes)
        scores = -dists
        return scores


if __name__ == "__main__":
    train_set = EasySet(specs_file="./data/CUB/train.json", training=True)
    train_sampler = TaskSampler(train_set, n_way=5, n_shot=5, n_query=10, n_tasks=40000)
    train_loader = DataLoader(
        train_set,
        batch_sampler=train_sampler,
        num_workers=12,
        pin_memory=True,
        collate_fn=train_sampler.episodic_collate_fn,
    )
    val_set = EasySet(specs_file="./data/CUB/val.json", training=False)
    val_sampler = TaskSampler(val_set, n_way=5, n_shot=5, n_query=10, n_tasks=100)
    val_loader = DataLoader(
        val_set,
        batch_sampler=val_sampler,
        num_workers=12,
        pin_memory=True,
        collate_fn=val_sampler.episodic_collate_fn,
    )

    convolutional_network = resnet18(pretrained=False)
    convolutional_network.fc = nn.Flatten()
    model = PrototypicalNetworks(convolutional_network).cuda()

    optimizer = Adam(params=model.parameters())

    model.fit(train_loader, optimizer, val_loader=val_loader)
