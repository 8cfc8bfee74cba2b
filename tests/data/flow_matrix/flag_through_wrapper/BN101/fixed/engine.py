def run_batch(model, batch, criterion, optimizer, update=False):
    inputs, targets = batch
    scores = model(inputs)
    loss = criterion(scores, targets)
    if update:
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def step(model, batch, criterion, optimizer, update=False):
    return run_batch(model, batch, criterion, optimizer, update=update)
