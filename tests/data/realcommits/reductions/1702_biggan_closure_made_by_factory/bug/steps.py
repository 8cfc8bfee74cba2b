def make_step(G, opt):
    def step(x):
        opt.zero_grad()
        loss = G(x).mean()
        loss.backward()
        opt.step()
        return {"loss": float(loss)}
    return step
