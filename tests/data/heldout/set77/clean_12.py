"""TD3 with BatchNorm actor/critics on a vectorised 2-link reacher; twin critics, delayed policy updates."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

OBS, ACT, N_ENVS = 6, 2, 32
HIDDEN = 256


class Reacher:
    def __init__(self, n, device, horizon=150):
        self.n, self.device, self.h = n, device, horizon

    def reset(self):
        self.t = 0
        self.q = (torch.rand(self.n, 2, device=self.device) * 2 - 1) * 3.14
        self.goal = torch.rand(self.n, 2, device=self.device) * 1.6 - 0.8
        return self._obs()

    def _tip(self):
        return torch.stack([torch.cos(self.q[:, 0]) + torch.cos(self.q.sum(1)), torch.sin(self.q[:, 0]) + torch.sin(self.q.sum(1))], 1) * 0.5

    def _obs(self):
        return torch.cat([torch.cos(self.q), torch.sin(self.q), self.goal], 1)

    def step(self, a):
        self.t += 1
        self.q = self.q + 0.1 * a
        r = -(self._tip() - self.goal).norm(dim=1) - 0.01 * a.pow(2).sum(1)
        return self._obs(), r, self.t >= self.h


def mlp_bn(in_dim, out_dim, out_act=None):
    layers = [
        nn.Linear(in_dim, HIDDEN, bias=False), nn.BatchNorm1d(HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN, bias=False), nn.BatchNorm1d(HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, out_dim),
    ]
    if out_act is not None:
        layers.append(out_act)
    return nn.Sequential(*layers)


class TwinCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.q1, self.q2 = mlp_bn(OBS + ACT, 1), mlp_bn(OBS + ACT, 1)

    def forward(self, s, a):
        sa = torch.cat([s, a], 1)
        return self.q1(sa).squeeze(1), self.q2(sa).squeeze(1)


def act(actor, s, noise=0.0):
    actor.eval()
    with torch.no_grad():
        a = actor(s)
    actor.train()
    if noise:
        a = a + noise * torch.randn_like(a)
    return a.clamp(-1, 1)


def evaluate_policy(actor, device, episodes=3):
    actor.eval()
    env, total = Reacher(N_ENVS, device), 0.0
    for _ in range(episodes):
        s, done, ret = env.reset(), False, torch.zeros(N_ENVS, device=device)
        while not done:
            with torch.no_grad():
                s, r, done = env.step(actor(s))
            ret += r
        total += ret.mean().item()
    actor.train()
    return total / episodes


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    actor = mlp_bn(OBS, ACT, nn.Tanh()).to(device)
    critic = TwinCritic().to(device)
    actor_targ, critic_targ = copy.deepcopy(actor), copy.deepcopy(critic)
    for p_ in list(actor_targ.parameters()) + list(critic_targ.parameters()):
        p_.requires_grad = False
    opt_pi = torch.optim.Adam(actor.parameters(), lr=3e-4)
    opt_q = torch.optim.Adam(critic.parameters(), lr=3e-4)

    cap, size, ptr = 500_000, 0, 0
    S, A = torch.zeros(cap, OBS, device=device), torch.zeros(cap, ACT, device=device)
    R, S2, Dn = torch.zeros(cap, device=device), torch.zeros(cap, OBS, device=device), torch.zeros(cap, device=device)

    env = Reacher(N_ENVS, device)
    s = env.reset()
    gamma, tau, batch = 0.99, 0.005, 256
    for it in range(100_000):
        a = act(actor, s, noise=0.1) if size > 10_000 else torch.rand(N_ENVS, ACT, device=device) * 2 - 1
        s2, r, done = env.step(a)
        idx = (torch.arange(N_ENVS, device=device) + ptr) % cap
        S[idx], A[idx], R[idx], S2[idx], Dn[idx] = s, a, r, s2, float(done)
        ptr, size = (ptr + N_ENVS) % cap, min(size + N_ENVS, cap)
        s = env.reset() if done else s2
        if size < 10_000:
            continue

        i = torch.randint(0, size, (batch,), device=device)
        bs, ba, br, bs2, bd = S[i], A[i], R[i], S2[i], Dn[i]
        with torch.no_grad():
            na = (actor_targ(bs2) + (0.2 * torch.randn_like(ba)).clamp(-0.5, 0.5)).clamp(-1, 1)
            tq1, tq2 = critic_targ(bs2, na)
            y = br + gamma * (1 - bd) * torch.min(tq1, tq2)
        q1, q2 = critic(bs, ba)
        loss_q = F.mse_loss(q1, y) + F.mse_loss(q2, y)
        opt_q.zero_grad()
        loss_q.backward()
        opt_q.step()

        if it % 2 == 0:
            loss_pi = -critic(bs, actor(bs))[0].mean()
            opt_pi.zero_grad()
            loss_pi.backward()
            opt_pi.step()
            with torch.no_grad():
                for net, targ in ((actor, actor_targ), (critic, critic_targ)):
                    for p, pt in zip(net.parameters(), targ.parameters()):
                        pt.mul_(1 - tau).add_(p, alpha=tau)

        if it % 10_000 == 0:
            print(f"it {it}: loss_q {loss_q.item():.3f} eval return {evaluate_policy(actor, device):.2f}")

    actor.eval()
    torch.jit.trace(actor, torch.randn(N_ENVS, OBS, device=device)).save("td3_actor.pt")


if __name__ == "__main__":
    main()
