"""Knowledge distillation with a shared run_epoch(train=...) loop."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def make_cnn(width, num_classes=100):
    return nn.Sequential(
        nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1, bias=False), nn.BatchNorm2d(2 * width), nn.ReLU(inplace=True),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(2 * width, num_classes),
    )


def kd_loss(student_logits, teacher_logits, labels, T=4.0, alpha=0.9):
    soft = F.kl_div(F.log_softmax(student_logits / T, 1), F.softmax(teacher_logits / T, 1),
                    reduction="batchmean") * T * T
    return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, labels)


def predict_and_update(student, teacher, images, labels, optimizer):
    """One distillation step: the teacher only produces targets."""
    with torch.no_grad():
        teacher_logits = teacher(images)
    logits = student(images)
    loss = kd_loss(logits, teacher_logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def run_epoch(student, teacher, loader, optimizer, train):
    if train:
        student.train()
    else:
        student.train(False)
    total, correct, n = 0.0, 0, 0
    for images, labels in loader:
        if train:
            total += predict_and_update(student, teacher, images, labels, optimizer)
        else:
            with torch.no_grad():
                logits = student(images)
            correct += (logits.argmax(1) == labels).sum().item()
        n += labels.size(0)
    return total / max(n, 1) if train else correct / max(n, 1)


def final_report(model, loader, name):
    model.train(mode=False)
    with torch.no_grad():
        hits = sum((model(x).argmax(1) == y).sum().item() for x, y in loader)
    print(f"{name}: {hits / len(loader.dataset):.4f}")


def distill(train_loader, val_loader, epochs=200):
    teacher = make_cnn(128)
    teacher.load_state_dict(torch.load("teacher.pt", map_location="cpu"))
    teacher.eval()
    student = make_cnn(32)
    optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    for epoch in range(epochs):
        loss = run_epoch(student, teacher, train_loader, optimizer, train=True)
        acc = run_epoch(student, teacher, val_loader, optimizer, train=False)
        print(f"epoch {epoch}: loss {loss:.4f} val {acc:.4f}")
    final_report(student, val_loader, "student")
    final_report(teacher, val_loader, "teacher")
    return student
