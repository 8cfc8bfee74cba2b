"""PPO for continuous control (HalfCheetah) with an observation-normalising
BatchNorm front-end instead of a running mean/std wrapper.
"""
import argparse

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
from torch.distributions import Normal
from torch.utils.data import DataLoader, TensorDataset


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--env-id", default="HalfCheetah-v4")
    p.add_argument("--num-envs", type=int, default=8)
    p.add_argument("--num-steps", type=int, default=256)
    p.add_argument("--total-timesteps", type=int, default=1_000_000)
    p.add_argument("--update-epochs", type=int, default=10)
    p.add_argument("--minibatch-size", type=int, default=4)
    p.add_argument("--clip-coef", type=float, default=0.2)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--gae-lambda", type=float, default=0.95)
    p.add_argument("--lr", type=float, default=3e-4)
    return p.parse_args()


class ActorCritic(nn.Module):
    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.obs_norm = nn.BatchNorm1d(obs_dim, affine=False)
        self.actor = nn.Sequential(nn.Linear(obs_dim, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(),
                                   nn.Linear(64, act_dim))
        self.critic = nn.Sequential(nn.Linear(obs_dim, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(),
                                    nn.Linear(64, 1))
        self.log_std = nn.Parameter(torch.zeros(act_dim))

    def forward(self, obs):
        z = self.obs_norm(obs)
        return Normal(self.actor(z), self.log_std.exp()), self.critic(z).squeeze(-1)


def compute_gae(rewards, values, dones, last_value, gamma, lam):
    adv = torch.zeros_like(rewards)
    last = 0.0
    for t in reversed(range(rewards.size(0))):
        next_v = last_value if t == rewards.size(0) - 1 else values[t + 1]
        delta = rewards[t] + gamma * next_v * (1 - dones[t]) - values[t]
        last = delta + gamma * lam * (1 - dones[t]) * last
        adv[t] = last
    return adv, adv + values


def act(policy, obs):
    with torch.no_grad():
        dist, value = policy(obs)  # expect: BN101
    return dist, value


def main():
    args = parse_args()
    envs = gym.vector.SyncVectorEnv([lambda: gym.make(args.env_id) for _ in range(args.num_envs)])
    obs_dim = envs.single_observation_space.shape[0]
    act_dim = envs.single_action_space.shape[0]
    policy = ActorCritic(obs_dim, act_dim)
    opt = torch.optim.Adam(policy.parameters(), lr=args.lr, eps=1e-5)

    T, N = args.num_steps, args.num_envs
    obs_buf = torch.zeros(T, N, obs_dim)
    act_buf = torch.zeros(T, N, act_dim)
    logp_buf, rew_buf, done_buf, val_buf = (torch.zeros(T, N) for _ in range(4))

    obs, _ = envs.reset(seed=0)
    obs = torch.as_tensor(obs, dtype=torch.float32)
    for update in range(args.total_timesteps // (T * N)):
        policy.training = False  # expect: BN102
        for t in range(T):
            dist, value = act(policy, obs)
            action = dist.sample()
            obs_buf[t], act_buf[t], val_buf[t] = obs, action, value
            logp_buf[t] = dist.log_prob(action).sum(-1)
            nxt, rew, term, trunc, _ = envs.step(action.numpy())
            rew_buf[t] = torch.as_tensor(rew, dtype=torch.float32)
            done_buf[t] = torch.as_tensor(np.logical_or(term, trunc), dtype=torch.float32)
            obs = torch.as_tensor(nxt, dtype=torch.float32)
        _, last_value = act(policy, obs)
        adv, ret = compute_gae(rew_buf, val_buf, done_buf, last_value, args.gamma, args.gae_lambda)

        data = TensorDataset(obs_buf.reshape(T * N, -1), act_buf.reshape(T * N, -1),
                             logp_buf.reshape(-1), adv.reshape(-1), ret.reshape(-1))
        loader = DataLoader(data, batch_size=args.minibatch_size, shuffle=True)  # expect: BN301
        policy.train()
        for _ in range(args.update_epochs):
            for b_obs, b_act, b_logp, b_adv, b_ret in loader:
                dist, v = policy(b_obs)
                ratio = (dist.log_prob(b_act).sum(-1) - b_logp).exp()
                b_adv = (b_adv - b_adv.mean()) / (b_adv.std() + 1e-8)
                pg = -torch.min(ratio * b_adv,
                                ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef) * b_adv).mean()
                v_loss = 0.5 * (v - b_ret).pow(2).mean()
                loss = pg + 0.5 * v_loss
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(policy.parameters(), 0.5)
                opt.step()
        print(f"update {update}: mean reward/step {rew_buf.mean():.3f}")


if __name__ == "__main__":
    main()
