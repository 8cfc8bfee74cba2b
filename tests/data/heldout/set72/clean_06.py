"""Double DQN with a target network and uniform replay on a vector-observation task."""
import argparse
import copy
import random
from collections import deque

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class QNetwork(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 256):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(obs_dim, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
        )
        self.head = nn.Linear(hidden, n_actions)

    def forward(self, obs):
        return self.head(self.body(obs))


class ReplayBuffer:
    def __init__(self, capacity: int):
        self.storage = deque(maxlen=capacity)

    def push(self, obs, action, reward, next_obs, done):
        self.storage.append((obs, action, reward, next_obs, done))

    def sample(self, batch_size: int, device):
        batch = random.sample(self.storage, batch_size)
        obs, actions, rewards, next_obs, dones = map(np.array, zip(*batch))
        as_t = lambda a, dt=torch.float32: torch.as_tensor(a, dtype=dt, device=device)
        return as_t(obs), as_t(actions, torch.long), as_t(rewards), as_t(next_obs), as_t(dones)

    def __len__(self):
        return len(self.storage)


class DQNAgent:
    def __init__(self, obs_dim, n_actions, device, lr=5e-4, gamma=0.99, tau=0.005):
        self.device = device
        self.n_actions = n_actions
        self.gamma, self.tau = gamma, tau
        self.q_net = QNetwork(obs_dim, n_actions).to(device)
        self.target_net = copy.deepcopy(self.q_net)
        self.target_net.requires_grad_(False)
        self.target_net.eval()
        self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=lr)

    def act(self, obs, epsilon: float) -> int:
        if random.random() < epsilon:
            return random.randrange(self.n_actions)
        self.q_net.eval()
        with torch.no_grad():
            q = self.q_net(torch.as_tensor(obs, dtype=torch.float32, device=self.device).unsqueeze(0))
        self.q_net.train()
        return int(q.argmax(dim=1).item())

    def learn(self, batch):
        obs, actions, rewards, next_obs, dones = batch
        q = self.q_net(obs).gather(1, actions.unsqueeze(1)).squeeze(1)
        with torch.no_grad():
            next_actions = self.q_net(next_obs).argmax(dim=1, keepdim=True)
            next_q = self.target_net(next_obs).gather(1, next_actions).squeeze(1)
            target = rewards + self.gamma * (1.0 - dones) * next_q
        loss = F.smooth_l1_loss(q, target)
        self.optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.q_net.parameters(), 10.0)
        self.optimizer.step()
        self.soft_update()
        return loss.item()

    @torch.no_grad()
    def soft_update(self):
        for p_t, p in zip(self.target_net.parameters(), self.q_net.parameters()):
            p_t.lerp_(p, self.tau)
        for b_t, b in zip(self.target_net.buffers(), self.q_net.buffers()):
            b_t.copy_(b)


def evaluate_policy(agent: DQNAgent, env_id: str, episodes: int = 10, seed: int = 123) -> float:
    env = gym.make(env_id)
    returns = []
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        done, ep_return = False, 0.0
        while not done:
            obs, reward, terminated, truncated, _ = env.step(agent.act(obs, epsilon=0.0))
            ep_return += reward
            done = terminated or truncated
        returns.append(ep_return)
    env.close()
    return float(np.mean(returns))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--env", default="LunarLander-v2")
    parser.add_argument("--total-steps", type=int, default=500_000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--buffer-size", type=int, default=100_000)
    parser.add_argument("--learning-starts", type=int, default=10_000)
    parser.add_argument("--eval-every", type=int, default=25_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    env = gym.make(args.env)
    agent = DQNAgent(env.observation_space.shape[0], env.action_space.n, device)
    buffer = ReplayBuffer(args.buffer_size)

    obs, _ = env.reset(seed=args.seed)
    for step in range(args.total_steps):
        epsilon = max(0.05, 1.0 - step / (0.1 * args.total_steps))
        action = agent.act(obs, epsilon)
        next_obs, reward, terminated, truncated, _ = env.step(action)
        buffer.push(obs, action, reward, next_obs, float(terminated))
        obs = next_obs
        if terminated or truncated:
            obs, _ = env.reset()
        if len(buffer) >= args.learning_starts:
            agent.learn(buffer.sample(args.batch_size, device))
        if (step + 1) % args.eval_every == 0:
            score = evaluate_policy(agent, args.env)
            print(f"step {step + 1}: eval return {score:.1f}")
            torch.save(agent.q_net.state_dict(), f"dqn_{args.env}_{step + 1}.pt")


if __name__ == "__main__":
    main()
