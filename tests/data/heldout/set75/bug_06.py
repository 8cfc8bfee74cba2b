"""
House price regression - homework 3
everything is in main() because the TA said no global variables
"""
import sys
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import matplotlib.pyplot as plt


def main():
    csv_path = sys.argv[1] if len(sys.argv) > 1 else 'housing.csv'
    df = pd.read_csv(csv_path)
    df = df.dropna()
    df = pd.get_dummies(df, columns=['ocean_proximity'])
    print(df.shape)
    print(df.describe())

    target = df['median_house_value'].values.astype(np.float32) / 100000.0
    feats = df.drop(columns=['median_house_value']).values.astype(np.float32)
    feats = (feats - feats.mean(axis=0)) / (feats.std(axis=0) + 1e-8)

    X = torch.from_numpy(feats)
    y = torch.from_numpy(target).unsqueeze(1)
    n = X.shape[0]
    n_features = X.shape[1]

    perm = torch.randperm(n)
    n_train = int(0.8 * n)
    X_train, y_train = X[perm[:n_train]], y[perm[:n_train]]
    X_val, y_val = X[perm[n_train:]], y[perm[n_train:]]
    print('train', X_train.shape, 'val', X_val.shape)

    model = nn.Sequential(
        nn.Linear(n_features, 64, bias=False),
        nn.BatchNorm1d(64, 64),  # expect: BN206
        nn.ReLU(),
        nn.Linear(64, 32, bias=False),
        nn.BatchNorm1d(64),  # expect: BN201
        nn.ReLU(),
        nn.Linear(32, 1),
    )
    print(model)

    loss_fn = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.003, weight_decay=1e-5)
    n_epochs = 40
    batch_size = 32

    train_hist = []
    val_hist = []
    best_val = 1e9
    epoch = 0
    model.train()
    while epoch < n_epochs:
        order = torch.randperm(n_train)
        i = 0
        epoch_loss = 0.0
        steps = 0
        while i < n_train:
            idx = order[i:i + batch_size]
            xb = X_train[idx]
            yb = y_train[idx]
            pred = model(xb)
            loss = loss_fn(pred, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
            steps += 1
            i += batch_size

        # validation
        model.eval()  # expect: BN103
        with torch.no_grad():
            val_pred = model(X_val)
            val_loss = loss_fn(val_pred, y_val).item()
        train_hist.append(epoch_loss / steps)
        val_hist.append(val_loss)
        if val_loss < best_val:
            best_val = val_loss
            torch.save(model.state_dict(), 'best_house.pth')
        print('epoch', epoch, 'train', round(train_hist[-1], 4), 'val', round(val_loss, 4))
        epoch += 1

    print('best val mse', best_val)

    plt.figure()
    plt.plot(train_hist, label='train')
    plt.plot(val_hist, label='val')
    plt.legend()
    plt.title('MSE')

    model.load_state_dict(torch.load('best_house.pth'))
    with torch.no_grad():
        p = model(X_val).squeeze().numpy()
    plt.figure()
    plt.scatter(y_val.squeeze().numpy(), p, s=2, alpha=0.3)
    plt.plot([0, 5], [0, 5], 'r--')
    plt.xlabel('true (100k$)')
    plt.ylabel('pred (100k$)')
    plt.show()

    rmse = np.sqrt(np.mean((p - y_val.squeeze().numpy()) ** 2))
    print('val RMSE in $:', rmse * 100000)


if __name__ == '__main__':
    main()
