"""DDPG with batch-normalised actor and critic (as in the original paper).

The target networks are Polyak-averaged copies kept permanently in eval mode;
their BN running statistics are copied from the online networks at every soft
update so they stay in sync.
"""
import argparse
import copy
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class HParams:
    env_id: str = "HalfCheetah-v4"
    gamma: float = 0.99
    tau: float = 0.001
    actor_lr: float = 1e-4
    critic_lr: float = 1e-3
    batch_size: int = 64
    buffer_size: int = 1_000_000
    warmup: int = 10_000
    total_steps: int = 1_000_000
    eval_every: int = 5_000
    ou_theta: float = 0.15
    ou_sigma: float = 0.2


class Actor(nn.Module):
    def __init__(self, obs_dim, act_dim, act_limit):
        super().__init__()
        self.fc1 = nn.Linear(obs_dim, 400, bias=False)
        self.bn1 = nn.BatchNorm1d(400)
        self.fc2 = nn.Linear(400, 300, bias=False)
        self.bn2 = nn.BatchNorm1d(300)
        self.mu = nn.Linear(300, act_dim)
        nn.init.uniform_(self.mu.weight, -3e-3, 3e-3)
        self.act_limit = act_limit

    def forward(self, obs):
        h = F.relu(self.bn1(self.fc1(obs)))
        h = F.relu(self.bn2(self.fc2(h)))
        return self.act_limit * torch.tanh(self.mu(h))


class Critic(nn.Module):
    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.fc1 = nn.Linear(obs_dim, 400, bias=False)
        self.bn1 = nn.BatchNorm1d(400)
        # actions enter at the second layer, no BN after this point
        self.fc2 = nn.Linear(400 + act_dim, 300)
        self.q = nn.Linear(300, 1)

    def forward(self, obs, act):
        h = F.relu(self.bn1(self.fc1(obs)))
        h = F.relu(self.fc2(torch.cat([h, act], dim=-1)))
        return self.q(h)


class OUNoise:
    def __init__(self, size, theta, sigma):
        self.size, self.theta, self.sigma = size, theta, sigma
        self.reset()

    def reset(self):
        self.x = np.zeros(self.size)

    def __call__(self):
        self.x += self.theta * -self.x + self.sigma * np.random.randn(self.size)
        return self.x


class Buffer:
    def __init__(self, obs_dim, act_dim, size):
        self.o = np.zeros((size, obs_dim), np.float32)
        self.a = np.zeros((size, act_dim), np.float32)
        self.r = np.zeros(size, np.float32)
        self.o2 = np.zeros((size, obs_dim), np.float32)
        self.d = np.zeros(size, np.float32)
        self.ptr, self.n, self.size = 0, 0, size

    def store(self, o, a, r, o2, d):
        self.o[self.ptr], self.a[self.ptr], self.r[self.ptr], self.o2[self.ptr], self.d[self.ptr] = o, a, r, o2, d
        self.ptr = (self.ptr + 1) % self.size
        self.n = min(self.n + 1, self.size)

    def batch(self, bs):
        i = np.random.randint(0, self.n, bs)
        return {k: torch.as_tensor(v[i]) for k, v in dict(o=self.o, a=self.a, r=self.r, o2=self.o2, d=self.d).items()}


def polyak(online, target, tau):
    with torch.no_grad():
        for p, p_t in zip(online.parameters(), target.parameters()):
            p_t.mul_(1.0 - tau).add_(p, alpha=tau)
        for b, b_t in zip(online.buffers(), target.buffers()):
            b_t.copy_(b)


class DDPGAgent:
    def __init__(self, obs_dim, act_dim, act_limit, hp: HParams):
        self.hp = hp
        self.actor = Actor(obs_dim, act_dim, act_limit)
        self.critic = Critic(obs_dim, act_dim)
        self.actor_targ = copy.deepcopy(self.actor).eval()
        self.critic_targ = copy.deepcopy(self.critic).eval()
        self.pi_opt = torch.optim.Adam(self.actor.parameters(), lr=hp.actor_lr)
        self.q_opt = torch.optim.Adam(self.critic.parameters(), lr=hp.critic_lr, weight_decay=1e-2)

    def act(self, obs):
        self.actor.eval()
        with torch.no_grad():
            a = self.actor(torch.as_tensor(obs, dtype=torch.float32).unsqueeze(0))[0].numpy()
        self.actor.train()
        return a

    def update(self, data):
        o, a, r, o2, d = data["o"], data["a"], data["r"], data["o2"], data["d"]
        with torch.no_grad():
            q_targ = self.critic_targ(o2, self.actor_targ(o2)).squeeze(-1)
            backup = r + self.hp.gamma * (1 - d) * q_targ
        q = self.critic(o, a).squeeze(-1)
        loss_q = F.mse_loss(q, backup)
        self.q_opt.zero_grad()
        loss_q.backward()
        self.q_opt.step()

        loss_pi = -self.critic(o, self.actor(o)).mean()
        self.pi_opt.zero_grad()
        loss_pi.backward()
        self.pi_opt.step()

        polyak(self.actor, self.actor_targ, self.hp.tau)
        polyak(self.critic, self.critic_targ, self.hp.tau)
        return loss_q.item(), loss_pi.item()


def evaluate_policy(agent, env_id, episodes=10):
    env = gym.make(env_id)
    agent.actor.eval()
    try:
        scores = []
        for ep in range(episodes):
            o, _ = env.reset(seed=1000 + ep)
            done, ret = False, 0.0
            while not done:
                with torch.no_grad():
                    a = agent.actor(torch.as_tensor(o, dtype=torch.float32)[None])[0].numpy()
                o, r, term, trunc, _ = env.step(a)
                ret += r
                done = term or trunc
            scores.append(ret)
        return float(np.mean(scores))
    finally:
        agent.actor.train()
        env.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--env", default=HParams.env_id)
    ap.add_argument("--steps", type=int, default=HParams.total_steps)
    args = ap.parse_args()
    hp = HParams(env_id=args.env, total_steps=args.steps)

    env = gym.make(hp.env_id)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    act_limit = float(env.action_space.high[0])
    agent = DDPGAgent(obs_dim, act_dim, act_limit, hp)
    buf = Buffer(obs_dim, act_dim, hp.buffer_size)
    noise = OUNoise(act_dim, hp.ou_theta, hp.ou_sigma)

    o, _ = env.reset(seed=0)
    for t in range(hp.total_steps):
        if t < hp.warmup:
            a = env.action_space.sample()
        else:
            a = np.clip(agent.act(o) + noise(), -act_limit, act_limit)
        o2, r, term, trunc, _ = env.step(a)
        buf.store(o, a, r, o2, float(term))
        o = o2
        if term or trunc:
            o, _ = env.reset()
            noise.reset()
        if t >= hp.warmup:
            agent.update(buf.batch(hp.batch_size))
        if (t + 1) % hp.eval_every == 0:
            print(f"t={t + 1}: eval return {evaluate_policy(agent, hp.env_id):.1f}")

    torch.save({"actor": agent.actor.state_dict(), "critic": agent.critic.state_dict()}, f"ddpg_bn_{hp.env_id}.pt")


if __name__ == "__main__":
    main()
