import torch
import ar


def video_level_eval(ds, n_classes):
    model = ar.video.LRCN(n_classes)
    final_preds = []
    for i in range(len(ds)):
        with torch.no_grad():
            predictions = model(ds[i])
            final_preds.append(predictions.cpu())
    print(final_preds)


if __name__ == "__main__":
    video_level_eval([], 10)
