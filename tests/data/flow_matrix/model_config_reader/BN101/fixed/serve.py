import sys

from PIL import Image

from encoder import ImageEncoder


def main(paths):
    encoder = ImageEncoder()
    vectors = encoder.embed([Image.open(path).convert("RGB") for path in paths])
    for path, vector in zip(paths, vectors):
        print(path, vector[:4])


if __name__ == "__main__":
    main(sys.argv[1:])
