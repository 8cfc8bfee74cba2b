"""Double DQN on LunarLander with a BatchNorm'd Q-network.

Acting happens one observation at a time, so the online network is switched
to eval mode (running statistics) for every environment step and back to
train mode for the replay update.
"""
import copy
import random

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Replay:
    def __init__(self, capacity, obs_dim):
        self.obs = np.zeros((capacity, obs_dim), np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), np.float32)
        self.act = np.zeros(capacity, np.int64)
        self.rew = np.zeros(capacity, np.float32)
        self.done = np.zeros(capacity, np.float32)
        self.capacity, self.ptr, self.size = capacity, 0, 0

    def add(self, o, a, r, o2, d):
        i = self.ptr
        self.obs[i], self.act[i], self.rew[i], self.next_obs[i], self.done[i] = o, a, r, o2, d
        self.ptr = (self.ptr + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, n):
        idx = np.random.randint(0, self.size, n)
        return tuple(torch.from_numpy(arr[idx]) for arr in
                     (self.obs, self.act, self.rew, self.next_obs, self.done))


def q_network(obs_dim, n_actions, width=128):
    return nn.Sequential(
        nn.Linear(obs_dim, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
        nn.Linear(width, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
        nn.Linear(width, n_actions),
    )


def greedy_action(net, obs):
    """Single-observation action selection (batch of 1) with running stats."""
    net.eval()
    with torch.no_grad():
        q = net(torch.as_tensor(obs).unsqueeze(0))
    net.train()
    return int(q.argmax(dim=1))


def td_update(online, target, batch, opt, gamma=0.99):
    o, a, r, o2, d = batch
    q = online(o).gather(1, a[:, None]).squeeze(1)
    with torch.no_grad():
        # double DQN: online net chooses, target net evaluates; this feeds the loss
        a2 = online(o2).argmax(dim=1, keepdim=True)
        q2 = target(o2).gather(1, a2).squeeze(1)
        y = r + gamma * (1 - d) * q2
    loss = F.huber_loss(q, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def main(total_steps=300_000, batch_size=128, warmup=5_000, tau=0.005):
    env = gym.make("LunarLander-v2")
    obs_dim, n_act = env.observation_space.shape[0], env.action_space.n
    online = q_network(obs_dim, n_act)
    target = copy.deepcopy(online)  # only ever used under no_grad, Polyak-averaged below
    opt = torch.optim.Adam(online.parameters(), lr=3e-4)
    buf = Replay(200_000, obs_dim)

    obs, _ = env.reset(seed=1)
    ep_ret, ep_returns = 0.0, []
    for step in range(total_steps):
        eps = max(0.02, 1.0 - step / 100_000)
        if step < warmup or random.random() < eps:
            action = env.action_space.sample()
        else:
            action = greedy_action(online, obs)
        obs2, rew, term, trunc, _ = env.step(action)
        buf.add(obs, action, rew, obs2, float(term))
        obs, ep_ret = obs2, ep_ret + rew
        if term or trunc:
            ep_returns.append(ep_ret)
            obs, _ = env.reset()
            ep_ret = 0.0

        if step >= warmup:
            online.train()
            td_update(online, target, buf.sample(batch_size), opt)
            with torch.no_grad():
                for tp, op in zip(target.state_dict().values(), online.state_dict().values()):
                    if tp.dtype.is_floating_point:
                        tp.mul_(1 - tau).add_(op, alpha=tau)
                    else:
                        tp.copy_(op)

        if step % 10_000 == 0 and ep_returns:
            print(f"step {step}: mean return {np.mean(ep_returns[-20:]):.1f}")

    online.eval()
    torch.save(online.state_dict(), "ddqn_lunar.pt")


if __name__ == "__main__":
    main()
