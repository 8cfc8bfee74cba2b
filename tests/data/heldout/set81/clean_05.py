import copy
import random
from collections import deque

import torch
import torch.nn as nn
import torch.nn.functional as F

OBS_DIM = 8
N_ACTIONS = 4
BATCH = 64


class QNet(nn.Module):
    def __init__(self, obs_dim=OBS_DIM, n_actions=N_ACTIONS, hidden=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(obs_dim, hidden, bias=False),
            nn.BatchNorm1d(hidden, momentum=0.01),
            nn.ReLU(),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden, momentum=0.01),
            nn.ReLU(),
            nn.Linear(hidden, n_actions),
        )

    def forward(self, obs):
        return self.net(obs)


class Replay:
    def __init__(self, cap=50_000):
        self.buf = deque(maxlen=cap)

    def push(self, *t):
        self.buf.append(t)

    def sample(self, n):
        s, a, r, s2, d = zip(*random.sample(self.buf, n))
        return (torch.stack(s), torch.tensor(a), torch.tensor(r),
                torch.stack(s2), torch.tensor(d, dtype=torch.float32))


def act(policy, obs, eps):
    if random.random() < eps:
        return random.randrange(N_ACTIONS)
    policy.eval()
    with torch.no_grad():
        a = policy(obs.unsqueeze(0)).argmax(-1).item()
    policy.train()
    return a


def fake_env_step(obs, action):
    nxt = obs + 0.1 * torch.randn(OBS_DIM)
    return nxt, float(-nxt.norm()), random.random() < 0.02


def main():
    policy = QNet()
    target = copy.deepcopy(policy).eval()
    for p in target.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-4)
    replay = Replay()
    obs = torch.randn(OBS_DIM)
    for step in range(5000):
        a = act(policy, obs, eps=max(0.05, 1 - step / 3000))
        nxt, r, done = fake_env_step(obs, a)
        replay.push(obs, a, r, nxt, done)
        obs = torch.randn(OBS_DIM) if done else nxt
        if len(replay.buf) < 1000:
            continue
        s, a_b, r_b, s2, d = replay.sample(BATCH)
        with torch.no_grad():
            q_next = target(s2).max(-1).values
            y = r_b + 0.99 * (1 - d) * q_next
        q = policy(s).gather(1, a_b.unsqueeze(1)).squeeze(1)
        loss = F.smooth_l1_loss(q, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 500 == 0:
            target.load_state_dict(policy.state_dict())


if __name__ == "__main__":
    main()
