class Widths:
    stem = 32
    stage1 = 64
    stage2 = 128
