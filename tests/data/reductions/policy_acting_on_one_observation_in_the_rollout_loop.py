import torch
import torch.nn as nn
from torchvision import models


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = models.resnet18()

    def forward(self, x):
        return self.encoder(x)


def main(env):
    policy = Policy()
    opt = torch.optim.AdamW(policy.parameters())
    obs = env.reset()
    step = 0
    while step < 100:
        obs_buf, logp_buf = [], []
        for _ in range(10):
            with torch.no_grad():
                logits = policy(obs.unsqueeze(0))
            action = logits.argmax(1)
            obs_buf.append(obs)
            logp_buf.append(logits)
            obs = env.step(action.cpu().numpy())
            step += 1
        old_logp = torch.cat(logp_buf)
        ratio = torch.exp(policy(torch.stack(obs_buf)) - old_logp)
        loss = -ratio.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
