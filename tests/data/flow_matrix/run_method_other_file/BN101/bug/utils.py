import torch


def mini_batch_deep_features(model, total_x, num):
    with torch.no_grad():
        bs = 64
        deep_features_list = []
        for sid in range(0, num, bs):
            batch_x = total_x[sid: sid + bs]
            batch_deep_features_ = model.features(batch_x)
            deep_features_list.append(batch_deep_features_)
        deep_features_ = torch.cat(deep_features_list, 0)
    return deep_features_
