#!/usr/bin/env python
# coding: utf-8

# # Titanic with a neural net (first kaggle submission!!)

# In[1]:


import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import matplotlib.pyplot as plt


# In[2]:


train_df = pd.read_csv('/kaggle/input/titanic/train.csv')
test_df = pd.read_csv('/kaggle/input/titanic/test.csv')
train_df.head()


# In[3]:


def prep(df):
    d = df.copy()
    d['Sex'] = (d['Sex'] == 'male').astype(float)
    d['Age'] = d['Age'].fillna(28.0)
    d['Fare'] = d['Fare'].fillna(14.45)
    d['Embarked'] = d['Embarked'].fillna('S')
    d = pd.get_dummies(d, columns=['Embarked', 'Pclass'])
    cols = ['Sex', 'Age', 'SibSp', 'Parch', 'Fare', 'Embarked_C', 'Embarked_Q',
            'Embarked_S', 'Pclass_1', 'Pclass_2', 'Pclass_3']
    return d[cols].values.astype(np.float32)


X_all = prep(train_df)
y_all = train_df['Survived'].values.astype(np.float32)
X_sub = prep(test_df)
mu, sd = X_all.mean(0), X_all.std(0) + 1e-6
X_all = (X_all - mu) / sd
X_sub = (X_sub - mu) / sd

idx = np.random.permutation(len(X_all))
cut = int(len(idx) * 0.8)
X_train = torch.tensor(X_all[idx[:cut]])
y_train = torch.tensor(y_all[idx[:cut]]).unsqueeze(1)
X_val = torch.tensor(X_all[idx[cut:]])
y_val = torch.tensor(y_all[idx[cut:]]).unsqueeze(1)
X_test = torch.tensor(X_sub)
print(X_train.shape, X_val.shape, X_test.shape)


# In[4]:


class TitanicNet(nn.Module):
    def __init__(self, n_in):
        super().__init__()
        self.layer1 = nn.Linear(n_in, 32)  # expect: BN204
        self.bn1 = nn.BatchNorm1d(32)
        self.layer2 = nn.Linear(32, 16, bias=False)
        self.bn2 = nn.BatchNorm1d(16)
        self.drop = nn.Dropout(0.3)
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        x = self.drop(torch.relu(self.bn1(self.layer1(x))))
        x = self.drop(torch.relu(self.bn2(self.layer2(x))))
        return self.out(x)


model = TitanicNet(X_train.shape[1])
loss_fn = nn.BCEWithLogitsLoss()
opt = torch.optim.Adam(model.parameters(), lr=0.005)


# In[5]:


EPOCHS = 60
bs = 32
val_accs = []
for epoch in range(EPOCHS):
    model.train()
    perm = torch.randperm(len(X_train))
    for i in range(0, len(X_train), bs):
        b = perm[i:i + bs]
        loss = loss_fn(model(X_train[b]), y_train[b])
        opt.zero_grad()
        loss.backward()
        opt.step()

    model.training = False  # expect: BN102
    with torch.no_grad():
        val_out = model(X_val)  # expect: BN101
        val_acc = ((val_out > 0).float() == y_val).float().mean().item()
    val_accs.append(val_acc)
    if epoch % 10 == 0:
        print(epoch, round(loss.item(), 4), round(val_acc, 4))


# In[6]:


plt.plot(val_accs)
plt.title('val accuracy')
plt.show()
torch.save(model.state_dict(), 'titanic.pth')


# In[7]:


# reload the saved weights and make the submission
final_model = TitanicNet(X_test.shape[1])
final_model.load_state_dict(torch.load('titanic.pth'))
with torch.no_grad():
    test_out = final_model(X_test)  # expect: BN101
preds = (test_out > 0).int().squeeze(1).numpy()
submission = pd.DataFrame({'PassengerId': test_df['PassengerId'], 'Survived': preds})
submission.to_csv('submission.csv', index=False)
print(submission.Survived.value_counts())
