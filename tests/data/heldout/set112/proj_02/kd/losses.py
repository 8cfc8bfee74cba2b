import torch.nn.functional as F


def kd_loss(student_logits, teacher_logits, labels, temperature=4.0, alpha=0.8):
    t = temperature
    soft = F.kl_div(F.log_softmax(student_logits / t, dim=-1), F.log_softmax(teacher_logits / t, dim=-1),
                    reduction="batchmean", log_target=True) * t * t
    return alpha * soft + (1.0 - alpha) * F.cross_entropy(student_logits, labels, label_smoothing=0.1)
