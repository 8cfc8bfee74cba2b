"""DDPG with batch-normalised actor and critic (Lillicrap et al., 2016) for continuous control."""
import argparse
import copy
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Actor(nn.Module):
    def __init__(self, obs_dim, act_dim, max_action):
        super().__init__()
        self.net = nn.Sequential(
            nn.BatchNorm1d(obs_dim),
            nn.Linear(obs_dim, 400, bias=False), nn.BatchNorm1d(400), nn.ReLU(),
            nn.Linear(400, 300, bias=False), nn.BatchNorm1d(300), nn.ReLU(),
            nn.Linear(300, act_dim), nn.Tanh(),
        )
        self.max_action = max_action

    def forward(self, obs):
        return self.max_action * self.net(obs)


class Critic(nn.Module):
    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.obs_net = nn.Sequential(nn.BatchNorm1d(obs_dim), nn.Linear(obs_dim, 400, bias=False),
                                     nn.BatchNorm1d(400), nn.ReLU())
        self.q_net = nn.Sequential(nn.Linear(400 + act_dim, 300), nn.ReLU(), nn.Linear(300, 1))

    def forward(self, obs, action):
        return self.q_net(torch.cat([self.obs_net(obs), action], dim=1)).squeeze(-1)


class Replay:
    def __init__(self, obs_dim, act_dim, size=1_000_000):
        self.obs = np.zeros((size, obs_dim), np.float32)
        self.act = np.zeros((size, act_dim), np.float32)
        self.rew = np.zeros(size, np.float32)
        self.next_obs = np.zeros((size, obs_dim), np.float32)
        self.done = np.zeros(size, np.float32)
        self.ptr, self.size, self.max = 0, 0, size

    def add(self, o, a, r, o2, d):
        i = self.ptr
        self.obs[i], self.act[i], self.rew[i], self.next_obs[i], self.done[i] = o, a, r, o2, d
        self.ptr, self.size = (i + 1) % self.max, min(self.size + 1, self.max)

    def sample(self, n, device):
        idx = np.random.randint(0, self.size, n)
        return [torch.as_tensor(a[idx], device=device) for a in (self.obs, self.act, self.rew, self.next_obs, self.done)]


class DDPG:
    def __init__(self, obs_dim, act_dim, max_action, device, gamma=0.99, tau=0.001):
        self.actor = Actor(obs_dim, act_dim, max_action).to(device)
        self.critic = Critic(obs_dim, act_dim).to(device)
        self.actor_target = copy.deepcopy(self.actor).eval().requires_grad_(False)
        self.critic_target = copy.deepcopy(self.critic).eval().requires_grad_(False)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=1e-4)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=1e-3, weight_decay=1e-2)
        self.device, self.gamma, self.tau, self.max_action = device, gamma, tau, max_action

    @torch.no_grad()
    def select_action(self, obs, noise_std=0.0):
        self.actor.eval()
        action = self.actor(torch.as_tensor(obs, dtype=torch.float32, device=self.device)[None])[0].cpu().numpy()
        self.actor.train()
        if noise_std > 0:
            action = action + np.random.normal(0, noise_std * self.max_action, size=action.shape)
        return np.clip(action, -self.max_action, self.max_action)

    def update(self, batch):
        obs, act, rew, next_obs, done = batch
        with torch.no_grad():
            target_q = rew + self.gamma * (1 - done) * self.critic_target(next_obs, self.actor_target(next_obs))
        critic_loss = F.mse_loss(self.critic(obs, act), target_q)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()

        actor_loss = -self.critic(obs, self.actor(obs)).mean()
        self.actor_opt.zero_grad()
        actor_loss.backward()
        self.actor_opt.step()

        with torch.no_grad():
            for net, target in ((self.actor, self.actor_target), (self.critic, self.critic_target)):
                for p, p_t in zip(net.parameters(), target.parameters()):
                    p_t.lerp_(p, self.tau)
                for b, b_t in zip(net.buffers(), target.buffers()):
                    b_t.copy_(b)
        return critic_loss.item(), actor_loss.item()

    def save(self, path: Path):
        torch.save({k: getattr(self, k).state_dict() for k in
                    ("actor", "critic", "actor_target", "critic_target", "actor_opt", "critic_opt")}, path)


def run_eval(agent: DDPG, env_id: str, episodes=5):
    env = gym.make(env_id)
    total = 0.0
    for ep in range(episodes):
        obs, _ = env.reset(seed=10_000 + ep)
        done = False
        while not done:
            obs, r, term, trunc, _ = env.step(agent.select_action(obs))
            total += r
            done = term or trunc
    return total / episodes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--env", default="HalfCheetah-v4")
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--start-steps", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", type=Path, default=Path("ddpg.pt"))
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    env = gym.make(args.env)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    agent = DDPG(obs_dim, act_dim, float(env.action_space.high[0]), device)
    replay = Replay(obs_dim, act_dim)

    obs, _ = env.reset(seed=0)
    for t in range(args.steps):
        action = env.action_space.sample() if t < args.start_steps else agent.select_action(obs, noise_std=0.1)
        next_obs, r, term, trunc, _ = env.step(action)
        replay.add(obs, action, r, next_obs, float(term))
        obs = next_obs if not (term or trunc) else env.reset()[0]
        if t >= args.start_steps:
            agent.update(replay.sample(args.batch_size, device))
        if (t + 1) % 50_000 == 0:
            print(f"t={t + 1}: eval return {run_eval(agent, args.env):.1f}")
            agent.save(args.out)


if __name__ == "__main__":
    main()
