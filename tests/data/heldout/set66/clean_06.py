"""Double DQN with a batch-normalised convolutional Q-network for a pick-and-place
simulator that renders 84x84 grayscale frames (4-frame stacks).
"""
from __future__ import annotations

import argparse
import random
from collections import deque

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FRAME_STACK = 4
REPLAY_CAPACITY = 200_000
REPLAY_BATCH = 32
GAMMA = 0.99
TARGET_SYNC = 2_000
CONFIG = {"lr": 1e-4, "eps_start": 1.0, "eps_end": 0.05, "eps_decay_steps": 250_000, "warmup": 20_000}


class QNetwork(nn.Module):
    def __init__(self, num_actions: int, in_frames: int = FRAME_STACK):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_frames, 32, 8, stride=4, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Flatten(),
        )
        flat = 64 * 7 * 7
        self.value = nn.Sequential(nn.Linear(flat, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, 1))
        self.advantage = nn.Sequential(nn.Linear(flat, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, num_actions))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        h = self.features(frames.float() / 255.0)
        a = self.advantage(h)
        return self.value(h) + a - a.mean(dim=1, keepdim=True)


class ReplayBuffer:
    def __init__(self, capacity: int):
        self.data = deque(maxlen=capacity)

    def add(self, s, a, r, s2, done) -> None:
        self.data.append((s, a, r, s2, done))

    def sample(self, n: int, device: str):
        s, a, r, s2, d = zip(*random.sample(self.data, n))
        to = lambda v, dt: torch.as_tensor(np.array(v), dtype=dt, device=device)
        return to(s, torch.uint8), to(a, torch.long), to(r, torch.float32), to(s2, torch.uint8), to(d, torch.float32)

    def __len__(self) -> int:
        return len(self.data)


class Agent:
    def __init__(self, num_actions: int, device: str):
        self.q = QNetwork(num_actions).to(device)
        self.target = QNetwork(num_actions).to(device)
        self.target.load_state_dict(self.q.state_dict())
        self.target.eval()
        self.opt = torch.optim.Adam(self.q.parameters(), lr=CONFIG["lr"], eps=1.5e-4)
        self.num_actions = num_actions
        self.device = device

    def act(self, obs: np.ndarray, epsilon: float) -> int:
        if random.random() < epsilon:
            return random.randrange(self.num_actions)
        self.q.eval()
        with torch.no_grad():
            q = self.q(torch.as_tensor(obs, device=self.device).unsqueeze(0))
        self.q.train()
        return int(q.argmax(dim=1).item())

    def learn(self, replay: ReplayBuffer) -> float:
        s, a, r, s2, done = replay.sample(REPLAY_BATCH, self.device)
        q = self.q(s).gather(1, a.unsqueeze(1)).squeeze(1)
        with torch.no_grad():
            best_next = self.q(s2).argmax(dim=1, keepdim=True)
            target = r + GAMMA * (1 - done) * self.target(s2).gather(1, best_next).squeeze(1)
        loss = F.smooth_l1_loss(q, target)
        self.opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.q.parameters(), 10.0)
        self.opt.step()
        return loss.item()

    def sync_target(self) -> None:
        self.target.load_state_dict(self.q.state_dict())


def epsilon_at(step: int) -> float:
    frac = min(step / CONFIG["eps_decay_steps"], 1.0)
    return CONFIG["eps_start"] + frac * (CONFIG["eps_end"] - CONFIG["eps_start"])


def run(env, total_steps: int, device: str) -> Agent:
    agent = Agent(env.action_space.n, device)
    agent.q.train()
    replay = ReplayBuffer(REPLAY_CAPACITY)
    obs, _ = env.reset(seed=0)
    ep_return, history = 0.0, []
    for step in range(total_steps):
        action = agent.act(obs, epsilon_at(step))
        nxt, reward, terminated, truncated, _ = env.step(action)
        replay.add(obs, action, float(np.sign(reward)), nxt, float(terminated))
        obs, ep_return = nxt, ep_return + reward
        if terminated or truncated:
            history.append(ep_return)
            obs, ep_return = env.reset()[0], 0.0
        if step >= CONFIG["warmup"] and step % 4 == 0:
            loss = agent.learn(replay)
            if step % 10_000 == 0:
                print(f"step {step}: loss {loss:.4f} mean return {np.mean(history[-20:]) if history else 0:.1f}")
        if step % TARGET_SYNC == 0:
            agent.sync_target()
    return agent


if __name__ == "__main__":
    import gymnasium as gym

    parser = argparse.ArgumentParser()
    parser.add_argument("--env", default="PickPlace-v0")
    parser.add_argument("--steps", type=int, default=3_000_000)
    args = parser.parse_args()
    env = gym.wrappers.FrameStack(gym.make(args.env), FRAME_STACK)
    trained = run(env, args.steps, "cuda" if torch.cuda.is_available() else "cpu")
    torch.save(trained.q.state_dict(), "ddqn_pickplace.pt")
