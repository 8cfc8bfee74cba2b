"""Mean teacher: supervised CE (+ tagging) on the labelled 2k, consistency on unlabelled text."""
import os

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

import configs as C
from datasets import TokenizedReviews, infinite, token_dropout
from models import ReviewModel
from utils import build_optimizer, build_teacher, consistency_loss, evaluate, sigmoid_rampup, update_teacher


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)

    labeled = TokenizedReviews(C.LABELED_FILE)
    unlabeled = TokenizedReviews(C.UNLABELED_FILE, with_labels=False)
    val = TokenizedReviews(C.VAL_FILE)
    lab_loader = DataLoader(labeled, batch_size=C.LABELED_BATCH, shuffle=True, drop_last=True)
    unl_loader = DataLoader(unlabeled, batch_size=C.UNLABELED_BATCH, shuffle=True, drop_last=True,
                            num_workers=4)
    val_loader = DataLoader(val, batch_size=128)

    student = ReviewModel().to(device)
    teacher = build_teacher(student)
    optimizer = build_optimizer(student, C.LR, C.WEIGHT_DECAY)
    unl_iter = infinite(unl_loader)

    best = 0.0
    for epoch in range(C.EPOCHS):
        student.train()
        w = C.CONSISTENCY_WEIGHT * sigmoid_rampup(epoch, C.RAMPUP_EPOCHS)
        for tokens, labels, tags in lab_loader:
            tokens, labels, tags = tokens.to(device), labels.to(device), tags.to(device)
            u = next(unl_iter).to(device)

            logits, tag_logits = student(token_dropout(tokens), with_tags=True)
            sup = F.cross_entropy(logits, labels)
            tag = F.cross_entropy(tag_logits.flatten(0, 1), tags.flatten(), ignore_index=-100)

            with torch.no_grad():
                t_logits = teacher(u)
            s_logits = student(token_dropout(u))
            cons = consistency_loss(s_logits, t_logits)

            loss = sup + C.TAG_LOSS_WEIGHT * tag + w * cons
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
            optimizer.step()
            update_teacher(teacher, student, C.EMA_DECAY)

        s_acc = evaluate(student, val_loader, device)
        t_acc = evaluate(teacher, val_loader, device)
        print(f"epoch {epoch}: w={w:.2f} loss {loss.item():.4f} student {s_acc:.4f} teacher {t_acc:.4f}")
        if t_acc > best:
            best = t_acc
            os.makedirs(C.OUT_DIR, exist_ok=True)
            torch.save(teacher.state_dict(), os.path.join(C.OUT_DIR, "teacher_best.pt"))


if __name__ == "__main__":
    main()
