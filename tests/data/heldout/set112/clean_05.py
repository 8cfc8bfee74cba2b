"""DQN with a BatchNorm Q-network on LunarLander-v2.

Mode handling:
  * the online network acts greedily in eval mode (single-state batches, and we
    want the running statistics, not the statistics of one state);
  * the target network is a frozen snapshot: always in eval mode, refreshed
    with a hard copy (parameters AND BN buffers) every `target_update` steps.
"""
import argparse
import random
from collections import deque

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class QNetwork(nn.Module):
    def __init__(self, obs_dim, n_actions, hidden=(256, 256)):
        super().__init__()
        layers = []
        prev = obs_dim
        for h in hidden:
            layers += [nn.Linear(prev, h, bias=False), nn.BatchNorm1d(h), nn.ReLU()]
            prev = h
        layers.append(nn.Linear(prev, n_actions))
        self.net = nn.Sequential(*layers)

    def forward(self, obs):
        return self.net(obs)


class Replay:
    def __init__(self, capacity):
        self.buf = deque(maxlen=capacity)

    def push(self, *transition):
        self.buf.append(transition)

    def sample(self, n):
        batch = random.sample(self.buf, n)
        s, a, r, s2, d = map(np.array, zip(*batch))
        return s.astype(np.float32), a.astype(np.int64), r.astype(np.float32), s2.astype(np.float32), d.astype(np.float32)

    def __len__(self):
        return len(self.buf)


class DQNAgent:
    def __init__(self, obs_dim, n_actions, device, lr=5e-4, gamma=0.99, batch_size=128, target_update=1000):
        self.device = device
        self.n_actions = n_actions
        self.gamma = gamma
        self.batch_size = batch_size
        self.target_update = target_update
        self.q = QNetwork(obs_dim, n_actions).to(device)
        self.q_target = QNetwork(obs_dim, n_actions).to(device)
        self.q_target.load_state_dict(self.q.state_dict())
        self.q_target.eval()
        self.opt = torch.optim.Adam(self.q.parameters(), lr=lr)
        self.learn_steps = 0

    def act(self, obs, epsilon):
        if random.random() < epsilon:
            return random.randrange(self.n_actions)
        self.q.eval()
        with torch.no_grad():
            q_values = self.q(torch.as_tensor(obs, dtype=torch.float32, device=self.device).unsqueeze(0))
        self.q.train()
        return int(q_values.argmax(dim=1).item())

    def learn(self, replay):
        s, a, r, s2, d = (torch.as_tensor(x, device=self.device) for x in replay.sample(self.batch_size))
        q_sa = self.q(s).gather(1, a.unsqueeze(1)).squeeze(1)
        with torch.no_grad():
            next_q = self.q_target(s2).max(dim=1).values
            target = r + self.gamma * (1.0 - d) * next_q
        loss = F.smooth_l1_loss(q_sa, target)
        self.opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.q.parameters(), 10.0)
        self.opt.step()
        self.learn_steps += 1
        if self.learn_steps % self.target_update == 0:
            self.q_target.load_state_dict(self.q.state_dict())
        return loss.item()


def evaluate(agent, env_id, episodes=5, seed=123):
    env = gym.make(env_id)
    agent.q.eval()
    returns = []
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        done, total = False, 0.0
        while not done:
            with torch.no_grad():
                action = agent.q(torch.as_tensor(obs, dtype=torch.float32, device=agent.device)[None]).argmax(1).item()
            obs, reward, terminated, truncated, _ = env.step(action)
            total += reward
            done = terminated or truncated
        returns.append(total)
    agent.q.train()
    env.close()
    return float(np.mean(returns))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--env", default="LunarLander-v2")
    ap.add_argument("--steps", type=int, default=300_000)
    ap.add_argument("--warmup", type=int, default=10_000)
    ap.add_argument("--eval-every", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    env = gym.make(args.env)
    agent = DQNAgent(env.observation_space.shape[0], env.action_space.n, device)
    replay = Replay(200_000)

    obs, _ = env.reset(seed=args.seed)
    ep_return, episode = 0.0, 0
    for step in range(1, args.steps + 1):
        eps = max(0.05, 1.0 - step / 100_000)
        action = agent.act(obs, eps)
        obs2, reward, terminated, truncated, _ = env.step(action)
        replay.push(obs, action, reward, obs2, float(terminated))
        obs = obs2
        ep_return += reward
        if len(replay) >= args.warmup:
            agent.learn(replay)
        if terminated or truncated:
            episode += 1
            obs, _ = env.reset()
            if episode % 10 == 0:
                print(f"step {step} episode {episode} return {ep_return:.1f} eps {eps:.2f}")
            ep_return = 0.0
        if step % args.eval_every == 0:
            print(f"[eval] step {step}: mean return {evaluate(agent, args.env):.1f}")

    torch.save(agent.q.state_dict(), "dqn_bn_lunarlander.pt")


if __name__ == "__main__":
    main()
