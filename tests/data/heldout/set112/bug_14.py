# TD3 (Fujimoto et al., 2018) with BatchNorm actor/critic -- single-file version
# for quick MuJoCo experiments.  python bug_14.py --env HalfCheetah-v4
import argparse
import copy
import time

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class Actor(nn.Module):
    def __init__(self, state_dim, action_dim, max_action, hidden=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(state_dim, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, action_dim),
            nn.Tanh(),
        )
        self.max_action = max_action

    def forward(self, s):
        return self.max_action * self.net(s)


class Critic(nn.Module):
    def __init__(self, state_dim, action_dim, hidden=256):
        super().__init__()
        self.q1_l1 = nn.Linear(state_dim + action_dim, hidden, bias=False)
        self.q1_bn = nn.BatchNorm2d(hidden)  # expect: BN202
        self.q1_l2 = nn.Linear(hidden, 1)
        self.q2_l1 = nn.Linear(state_dim + action_dim, hidden, bias=False)
        self.q2_bn = nn.BatchNorm1d(hidden)
        self.q2_l2 = nn.Linear(hidden, 1)

    def forward(self, s, a):
        sa = torch.cat([s, a], 1)
        q1 = self.q1_l2(F.relu(self.q1_bn(self.q1_l1(sa))))
        q2 = self.q2_l2(F.relu(self.q2_bn(self.q2_l1(sa))))
        return q1, q2

    def q1(self, s, a):
        sa = torch.cat([s, a], 1)
        return self.q1_l2(F.relu(self.q1_bn(self.q1_l1(sa))))


class Replay:
    def __init__(self, sdim, adim, size=1_000_000):
        self.s = np.zeros((size, sdim), np.float32)
        self.a = np.zeros((size, adim), np.float32)
        self.r = np.zeros((size, 1), np.float32)
        self.s2 = np.zeros((size, sdim), np.float32)
        self.d = np.zeros((size, 1), np.float32)
        self.n, self.i, self.size = 0, 0, size

    def add(self, s, a, r, s2, d):
        self.s[self.i], self.a[self.i], self.r[self.i], self.s2[self.i], self.d[self.i] = s, a, r, s2, d
        self.i = (self.i + 1) % self.size
        self.n = min(self.n + 1, self.size)

    def sample(self, bs, device):
        idx = np.random.randint(0, self.n, bs)
        return [torch.as_tensor(x[idx], device=device) for x in (self.s, self.a, self.r, self.s2, self.d)]


def select_action(actor, state, device):
    actor.eval()
    with torch.no_grad():
        s = torch.as_tensor(state, dtype=torch.float32, device=device).unsqueeze(0)
        return actor(s).cpu().numpy()[0]


def soft_update(net, target, tau):
    with torch.no_grad():
        for p, tp in zip(net.parameters(), target.parameters()):
            tp.lerp_(p, tau)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--env", default="HalfCheetah-v4")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start_timesteps", type=int, default=25_000)
    ap.add_argument("--max_timesteps", type=int, default=1_000_000)
    ap.add_argument("--batch_size", type=int, default=256)
    ap.add_argument("--discount", type=float, default=0.99)
    ap.add_argument("--tau", type=float, default=0.005)
    ap.add_argument("--policy_noise", type=float, default=0.2)
    ap.add_argument("--noise_clip", type=float, default=0.5)
    ap.add_argument("--policy_freq", type=int, default=2)
    ap.add_argument("--expl_noise", type=float, default=0.1)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    env = gym.make(args.env)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    sdim, adim = env.observation_space.shape[0], env.action_space.shape[0]
    max_action = float(env.action_space.high[0])

    actor = Actor(sdim, adim, max_action).to(device)
    actor_target = copy.deepcopy(actor)
    critic = Critic(sdim, adim).to(device)
    critic_target = copy.deepcopy(critic)
    actor_opt = torch.optim.Adam(actor.parameters(), lr=3e-4)
    critic_opt = torch.optim.Adam(critic.parameters(), lr=3e-4)
    replay = Replay(sdim, adim)

    actor.train()
    critic.train()
    state, _ = env.reset(seed=args.seed)
    ep_ret, ep_len, t0 = 0.0, 0, time.time()
    for t in range(args.max_timesteps):
        if t < args.start_timesteps:
            action = env.action_space.sample()
        else:
            action = select_action(actor, state, device)  # expect: BN103
            action = (action + np.random.normal(0, max_action * args.expl_noise, size=adim)).clip(-max_action, max_action)

        next_state, reward, terminated, truncated, _ = env.step(action)
        replay.add(state, action, reward, next_state, float(terminated))
        state = next_state
        ep_ret += reward
        ep_len += 1

        if t >= args.start_timesteps:
            s, a, r, s2, d = replay.sample(args.batch_size, device)
            with torch.no_grad():
                noise = (torch.randn_like(a) * args.policy_noise).clamp(-args.noise_clip, args.noise_clip)
                a2 = (actor_target(s2) + noise).clamp(-max_action, max_action)
                tq1, tq2 = critic_target(s2, a2)
                target_q = r + (1 - d) * args.discount * torch.min(tq1, tq2)
            q1, q2 = critic(s, a)
            critic_loss = F.mse_loss(q1, target_q) + F.mse_loss(q2, target_q)
            critic_opt.zero_grad()
            critic_loss.backward()
            critic_opt.step()

            if t % args.policy_freq == 0:
                actor_loss = -critic.q1(s, actor(s)).mean()
                actor_opt.zero_grad()
                actor_loss.backward()
                actor_opt.step()
                soft_update(critic, critic_target, args.tau)
                soft_update(actor, actor_target, args.tau)

        if terminated or truncated:
            print(f"t={t + 1:7d} return={ep_ret:9.2f} len={ep_len} ({time.time() - t0:.0f}s)")
            state, _ = env.reset()
            ep_ret, ep_len = 0.0, 0

    torch.save({"actor": actor.state_dict(), "critic": critic.state_dict()}, f"td3_bn_{args.env}_{args.seed}.pt")


if __name__ == "__main__":
    main()
