"""MAML on Omniglot-style N-way K-shot episodes with a Conv-4 backbone.

BatchNorm here is *transductive* (as in the original MAML code): the layers
are built with ``track_running_stats=False``, so they always normalise with
the statistics of the current support/query batch and keep no running
buffers. Train and eval mode behave identically for them; we keep the model
in train mode during meta-testing to make that choice explicit.
"""
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call


def conv_block(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch, track_running_stats=False),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class Conv4(nn.Module):
    def __init__(self, n_way, in_ch=1, hidden=64):
        super().__init__()
        self.features = nn.Sequential(
            conv_block(in_ch, hidden),
            conv_block(hidden, hidden),
            conv_block(hidden, hidden),
            conv_block(hidden, hidden),
        )
        self.classifier = nn.Linear(hidden, n_way)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class EpisodeSampler:
    """Samples N-way K-shot tasks from a dict {class_id: tensor of images}."""

    def __init__(self, images_by_class, n_way, k_shot, q_queries):
        self.images = images_by_class
        self.classes = list(images_by_class)
        self.n_way, self.k_shot, self.q = n_way, k_shot, q_queries

    def sample(self):
        chosen = random.sample(self.classes, self.n_way)
        xs, ys, xq, yq = [], [], [], []
        for label, c in enumerate(chosen):
            imgs = self.images[c]
            idx = torch.randperm(len(imgs))[: self.k_shot + self.q]
            xs.append(imgs[idx[: self.k_shot]]); ys += [label] * self.k_shot
            xq.append(imgs[idx[self.k_shot:]]); yq += [label] * self.q
        return torch.cat(xs), torch.tensor(ys), torch.cat(xq), torch.tensor(yq)


def adapt(model, params, x_s, y_s, inner_lr, steps, create_graph):
    def support_loss(p):
        return F.cross_entropy(functional_call(model, p, (x_s,)), y_s)

    for _ in range(steps):
        grads = torch.autograd.grad(support_loss(params), list(params.values()),
                                    create_graph=create_graph)
        params = {name: w - inner_lr * g for (name, w), g in zip(params.items(), grads)}
    return params


def meta_train(model, sampler, meta_opt, iterations=60_000, tasks_per_batch=32,
               inner_lr=0.4, inner_steps=1, device="cuda"):
    model.train()
    for it in range(iterations):
        meta_opt.zero_grad()
        total = 0.0
        for _ in range(tasks_per_batch):
            x_s, y_s, x_q, y_q = (t.to(device) for t in sampler.sample())
            params = dict(model.named_parameters())
            fast = adapt(model, params, x_s, y_s, inner_lr, inner_steps, create_graph=True)
            loss = F.cross_entropy(functional_call(model, fast, (x_q,)), y_q) / tasks_per_batch
            loss.backward()
            total += loss.item()
        meta_opt.step()
        if it % 1000 == 0:
            print(f"iter {it}: meta loss {total:.4f}")


def meta_test(model, sampler, episodes=600, inner_lr=0.4, inner_steps=3, device="cuda"):
    """Accuracy on held-out classes.

    Transductive BN: track_running_stats=False means the BN layers use the
    statistics of the episode's batch in every mode, which is the standard
    MAML protocol. Inner-loop adaptation needs gradients, so no no_grad here.
    """
    model.train()  # deliberate: transductive batch norm, see docstring
    accs = []
    for _ in range(episodes):
        x_s, y_s, x_q, y_q = (t.to(device) for t in sampler.sample())
        params = {k: v.detach().requires_grad_() for k, v in model.named_parameters()}
        fast = adapt(model, params, x_s, y_s, inner_lr, inner_steps, create_graph=False)
        with torch.no_grad():
            logits = functional_call(model, fast, (x_q,))
        accs.append((logits.argmax(1) == y_q).float().mean().item())
    mean = float(np.mean(accs))
    ci95 = 1.96 * float(np.std(accs)) / np.sqrt(episodes)
    return mean, ci95


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    data = torch.load("omniglot_28x28_by_class.pt")  # {class_id: (20, 1, 28, 28)}
    classes = sorted(data)
    train_classes = {c: data[c] for c in classes[:1200]}
    test_classes = {c: data[c] for c in classes[1200:]}
    n_way, k_shot = 5, 1
    model = Conv4(n_way).to(device)
    meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    meta_train(model, EpisodeSampler(train_classes, n_way, k_shot, 15), meta_opt, device=device)
    acc, ci = meta_test(model, EpisodeSampler(test_classes, n_way, k_shot, 15), device=device)
    print(f"5-way 1-shot accuracy: {100 * acc:.2f} +- {100 * ci:.2f}")


if __name__ == "__main__":
    main()
