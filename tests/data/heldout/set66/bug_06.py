"""DDPG agent with batch-normalised actor and critic (Lillicrap et al. 2015) for a
continuous-control robot-arm reaching task exposed through a Gym-style API.
"""
from __future__ import annotations

import argparse
import copy
import random
from collections import deque

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HIDDEN1 = 400
HIDDEN2 = 300
REPLAY_SIZE = 1_000_000
BATCH_SIZE = 64
GAMMA = 0.99
TAU = 0.005


class Actor(nn.Module):
    def __init__(self, obs_dim: int, act_dim: int, max_action: float):
        super().__init__()
        self.net = nn.Sequential(
            nn.BatchNorm1d(obs_dim),
            nn.Linear(obs_dim, HIDDEN1, bias=False), nn.BatchNorm1d(HIDDEN1), nn.ReLU(),
            nn.Linear(HIDDEN1, HIDDEN2, bias=False), nn.BatchNorm1d(HIDDEN2), nn.ReLU(),
            nn.Linear(HIDDEN2, act_dim), nn.Tanh(),
        )
        self.max_action = max_action

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.max_action * self.net(obs)


class Critic(nn.Module):
    def __init__(self, obs_dim: int, act_dim: int):
        super().__init__()
        self.obs_bn = nn.BatchNorm1d(obs_dim)
        self.fc1 = nn.Linear(obs_dim, HIDDEN1, bias=False)
        self.bn1 = nn.BatchNorm1d(HIDDEN1)
        self.fc2 = nn.Linear(HIDDEN1 + act_dim, HIDDEN2, bias=False)
        self.bn2 = nn.BatchNorm1d(HIDDEN1)  # expect: BN201
        self.q = nn.Linear(HIDDEN2, 1)

    def forward(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.bn1(self.fc1(self.obs_bn(obs))))
        h = F.relu(self.bn2(self.fc2(torch.cat([h, act], dim=1))))
        return self.q(h)


class Replay:
    def __init__(self, capacity: int):
        self.buf = deque(maxlen=capacity)

    def push(self, *transition):
        self.buf.append(transition)

    def sample(self, n: int, device: str):
        batch = random.sample(self.buf, n)
        obs, act, rew, nxt, done = map(np.array, zip(*batch))
        as_t = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)
        return as_t(obs), as_t(act), as_t(rew).unsqueeze(1), as_t(nxt), as_t(done).unsqueeze(1)

    def __len__(self) -> int:
        return len(self.buf)


class DDPGAgent:
    def __init__(self, obs_dim: int, act_dim: int, max_action: float, device: str):
        self.device = device
        self.actor = Actor(obs_dim, act_dim, max_action).to(device)
        self.critic = Critic(obs_dim, act_dim).to(device)
        self.actor_target = copy.deepcopy(self.actor)
        self.critic_target = copy.deepcopy(self.critic)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=1e-4)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=1e-3, weight_decay=1e-2)
        self.max_action = max_action

    def select_action(self, obs: np.ndarray, noise_std: float = 0.1) -> np.ndarray:
        obs_t = torch.as_tensor(obs, dtype=torch.float32, device=self.device).unsqueeze(0)
        with torch.no_grad():
            action = self.actor(obs_t).cpu().numpy()[0]  # expect: BN101
        action += np.random.normal(0, noise_std * self.max_action, size=action.shape)
        return np.clip(action, -self.max_action, self.max_action)

    def update(self, replay: Replay) -> dict:
        obs, act, rew, nxt, done = replay.sample(BATCH_SIZE, self.device)
        with torch.no_grad():
            target_q = self.critic_target(nxt, self.actor_target(nxt))
            target_q = rew + GAMMA * (1 - done) * target_q
        critic_loss = F.mse_loss(self.critic(obs, act), target_q)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()

        actor_loss = -self.critic(obs, self.actor(obs)).mean()
        self.actor_opt.zero_grad()
        actor_loss.backward()
        self.actor_opt.step()

        for net, tgt in ((self.actor, self.actor_target), (self.critic, self.critic_target)):
            for p, tp in zip(net.parameters(), tgt.parameters()):
                tp.data.mul_(1 - TAU).add_(TAU * p.data)
        return {"critic": critic_loss.item(), "actor": actor_loss.item()}


def train(env, steps: int, warmup: int, device: str) -> DDPGAgent:
    obs_dim = env.observation_space.shape[0]
    act_dim = env.action_space.shape[0]
    agent = DDPGAgent(obs_dim, act_dim, float(env.action_space.high[0]), device)
    replay = Replay(REPLAY_SIZE)
    obs, _ = env.reset(seed=0)
    episode_return, returns = 0.0, []
    for t in range(steps):
        if t < warmup:
            action = env.action_space.sample()
        else:
            action = agent.select_action(obs)
        nxt, reward, terminated, truncated, _ = env.step(action)
        replay.push(obs, action, reward, nxt, float(terminated))
        obs, episode_return = nxt, episode_return + reward
        if terminated or truncated:
            returns.append(episode_return)
            obs, _ = env.reset()
            episode_return = 0.0
        if t >= warmup and len(replay) >= BATCH_SIZE:
            stats = agent.update(replay)
            if t % 5000 == 0:
                print(f"t={t} critic={stats['critic']:.3f} actor={stats['actor']:.3f} "
                      f"avg_return={np.mean(returns[-10:]) if returns else 0.0:.1f}")
    return agent


if __name__ == "__main__":
    import gymnasium as gym

    parser = argparse.ArgumentParser()
    parser.add_argument("--env", default="Reacher-v4")
    parser.add_argument("--steps", type=int, default=300_000)
    parser.add_argument("--warmup", type=int, default=10_000)
    args = parser.parse_args()
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    trained = train(gym.make(args.env), args.steps, args.warmup, dev)
    torch.save(trained.actor.state_dict(), "ddpg_actor.pt")
