"""DDPG with BatchNorm actor/critic (as in Lillicrap et al.) on a vectorised point-mass reaching task."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

STATE_DIM = 4
ACTION_DIM = 2
N_ENVS = 16


class PointMassEnv:
    def __init__(self, n, device, horizon=200):
        self.n, self.device, self.horizon = n, device, horizon

    def reset(self):
        self.t = 0
        self.pos = torch.rand(self.n, 2, device=self.device) * 2 - 1
        self.goal = torch.rand(self.n, 2, device=self.device) * 2 - 1
        return torch.cat([self.pos, self.goal], 1)

    def step(self, action):
        self.t += 1
        self.pos = (self.pos + 0.05 * action.clamp(-1, 1)).clamp(-1, 1)
        dist = (self.pos - self.goal).norm(dim=1)
        reward = -dist
        done = torch.full((self.n,), float(self.t >= self.horizon), device=self.device)
        return torch.cat([self.pos, self.goal], 1), reward, done


class Actor(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(STATE_DIM, 400, bias=False), nn.BatchNorm1d(400), nn.ReLU(),
            nn.Linear(400, 300, bias=False), nn.BatchNorm1d(300), nn.ReLU(),
            nn.Linear(300, ACTION_DIM), nn.Tanh(),
        )

    def forward(self, s):
        return self.net(s)


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(STATE_DIM, 400, bias=False)
        self.bn1 = nn.BatchNorm1d(400)
        self.fc2 = nn.Linear(400 + ACTION_DIM, 300, bias=False)
        self.bn2 = nn.BatchNorm1d(400)  # expect: BN201
        self.q = nn.Linear(300, 1)

    def forward(self, s, a):
        h = F.relu(self.bn1(self.fc1(s)))
        h = F.relu(self.bn2(self.fc2(torch.cat([h, a], 1))))
        return self.q(h).squeeze(1)


class Replay:
    def __init__(self, cap, device):
        self.s = torch.zeros(cap, STATE_DIM, device=device)
        self.a = torch.zeros(cap, ACTION_DIM, device=device)
        self.r = torch.zeros(cap, device=device)
        self.s2 = torch.zeros(cap, STATE_DIM, device=device)
        self.d = torch.zeros(cap, device=device)
        self.cap, self.ptr, self.size = cap, 0, 0

    def add(self, s, a, r, s2, d):
        idx = (torch.arange(s.size(0), device=s.device) + self.ptr) % self.cap
        self.s[idx], self.a[idx], self.r[idx], self.s2[idx], self.d[idx] = s, a, r, s2, d
        self.ptr = (self.ptr + s.size(0)) % self.cap
        self.size = min(self.size + s.size(0), self.cap)

    def sample(self, n):
        i = torch.randint(0, self.size, (n,), device=self.s.device)
        return self.s[i], self.a[i], self.r[i], self.s2[i], self.d[i]


def select_action(actor, s, noise_std):
    actor.eval()
    with torch.no_grad():
        a = actor(s)
    actor.train()
    return (a + noise_std * torch.randn_like(a)).clamp(-1, 1)


def evaluate_policy(actor, device, episodes=5):
    env, returns = PointMassEnv(N_ENVS, device), []
    for _ in range(episodes):
        s, ret, done = env.reset(), torch.zeros(N_ENVS, device=device), False
        while not done:
            with torch.no_grad():
                a = actor(s)  # expect: BN101
            s, r, d = env.step(a)
            ret += r
            done = bool(d.all())
        returns.append(ret.mean().item())
    return sum(returns) / len(returns)


@torch.no_grad()
def soft_update(target, source, tau=0.005):
    for pt, ps in zip(target.parameters(), source.parameters()):
        pt.mul_(1 - tau).add_(ps, alpha=tau)


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    actor, critic = Actor().to(device), Critic().to(device)
    actor_t, critic_t = copy.deepcopy(actor), copy.deepcopy(critic)
    opt_a = torch.optim.Adam(actor.parameters(), lr=1e-4)
    opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3, weight_decay=1e-2)
    buf, env = Replay(200_000, device), PointMassEnv(N_ENVS, device)
    gamma, batch_size = 0.99, 64

    s = env.reset()
    for it in range(50_000):
        a = select_action(actor, s, noise_std=0.2)
        s2, r, d = env.step(a)
        buf.add(s, a, r, s2, d)
        s = env.reset() if bool(d.all()) else s2
        if buf.size < 1_000:
            continue

        bs, ba, br, bs2, bd = buf.sample(batch_size)
        with torch.no_grad():
            y = br + gamma * (1 - bd) * critic_t(bs2, actor_t(bs2))
        critic_loss = F.mse_loss(critic(bs, ba), y)
        opt_c.zero_grad()
        critic_loss.backward()
        opt_c.step()

        actor_loss = -critic(bs, actor(bs)).mean()
        opt_a.zero_grad()
        actor_loss.backward()
        opt_a.step()
        soft_update(actor_t, actor)
        soft_update(critic_t, critic)

        if it % 5_000 == 0:
            print(f"iter {it}: critic {critic_loss.item():.4f} actor {actor_loss.item():.4f} "
                  f"eval return {evaluate_policy(actor, device):.2f}")

    example = torch.randn(N_ENVS, STATE_DIM, device=device)
    scripted = torch.jit.trace(actor, example)  # expect: BN104
    scripted.save("ddpg_actor.pt")


if __name__ == "__main__":
    main()
