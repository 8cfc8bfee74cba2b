"""Single-environment PPO for a building-HVAC control task (discrete setpoints).

The policy has BatchNorm layers. Rollouts are collected one observation at a
time (batch size 1), so the policy acts in eval mode with its running
statistics; minibatch updates run in train mode.
"""
import click
import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
from torch.distributions import Categorical
from torch.utils.data import DataLoader, TensorDataset


class PolicyValueNet(nn.Module):
    def __init__(self, obs_dim, n_actions, hidden=128):
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Linear(obs_dim, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
        )
        self.pi = nn.Linear(hidden, n_actions)
        self.v = nn.Linear(hidden, 1)

    def forward(self, obs):
        z = self.trunk(obs)
        return self.pi(z), self.v(z).squeeze(-1)


def rollout(env, net, obs, n_steps):
    net.eval()
    traj = {k: [] for k in ("obs", "act", "logp", "rew", "done", "val")}
    for _ in range(n_steps):
        with torch.no_grad():
            logits, value = net(torch.as_tensor(obs, dtype=torch.float32)[None])
        dist = Categorical(logits=logits)
        a = dist.sample()
        nxt, r, term, trunc, _ = env.step(int(a))
        for k, v in zip(traj, (obs, int(a), float(dist.log_prob(a)), r, term or trunc, float(value))):
            traj[k].append(v)
        obs = env.reset()[0] if (term or trunc) else nxt
    with torch.no_grad():
        _, last_v = net(torch.as_tensor(obs, dtype=torch.float32)[None])
    return traj, obs, float(last_v)


def returns_and_adv(rew, done, val, last_v, gamma=0.995, lam=0.95):
    adv, gae = np.zeros(len(rew), np.float32), 0.0
    for t in reversed(range(len(rew))):
        nv = last_v if t == len(rew) - 1 else val[t + 1]
        delta = rew[t] + gamma * nv * (1 - done[t]) - val[t]
        gae = delta + gamma * lam * (1 - done[t]) * gae
        adv[t] = gae
    return adv + np.asarray(val, np.float32), adv


def evaluate_policy(env, net, episodes=5):
    net.eval()
    scores = []
    for ep in range(episodes):
        obs, _ = env.reset(seed=1000 + ep)
        done, total = False, 0.0
        while not done:
            with torch.no_grad():
                logits, _ = net(torch.as_tensor(obs, dtype=torch.float32).unsqueeze(0))
            obs, r, term, trunc, _ = env.step(int(logits.argmax(-1)))
            total += r
            done = term or trunc
        scores.append(total)
    return float(np.mean(scores))


@click.command()
@click.option("--env-id", default="HVACZone-v0")
@click.option("--iterations", default=500)
@click.option("--horizon", default=2048)
@click.option("--minibatch", default=64)
@click.option("--epochs", default=10)
def main(env_id, iterations, horizon, minibatch, epochs):
    env = gym.make(env_id)
    net = PolicyValueNet(env.observation_space.shape[0], env.action_space.n)
    opt = torch.optim.Adam(net.parameters(), lr=2.5e-4)
    obs, _ = env.reset(seed=0)

    for it in range(iterations):
        traj, obs, last_v = rollout(env, net, obs, horizon)
        ret, adv = returns_and_adv(traj["rew"], traj["done"], traj["val"], last_v)
        data = TensorDataset(torch.as_tensor(np.array(traj["obs"]), dtype=torch.float32),
                             torch.as_tensor(traj["act"]), torch.as_tensor(traj["logp"]),
                             torch.as_tensor(ret), torch.as_tensor(adv))
        net.train()
        for _ in range(epochs):
            for o, a, old_logp, R, A in DataLoader(data, batch_size=minibatch, shuffle=True, drop_last=True):
                logits, v = net(o)
                dist = Categorical(logits=logits)
                ratio = torch.exp(dist.log_prob(a) - old_logp)
                A = (A - A.mean()) / (A.std() + 1e-8)
                loss = (-torch.min(ratio * A, ratio.clamp(0.8, 1.2) * A).mean()
                        + 0.5 * (v - R).pow(2).mean() - 0.01 * dist.entropy().mean())
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 0.5)
                opt.step()
        if it % 25 == 0:
            print(f"iter {it}: eval return {evaluate_policy(gym.make(env_id), net):.2f}")

    net.eval()
    torch.save(net.state_dict(), "ppo_hvac.pt")


if __name__ == "__main__":
    main()
