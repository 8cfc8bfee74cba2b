from .generator import Generator, build_generator
from .discriminator import Discriminator, build_discriminator

__all__ = ["Generator", "Discriminator", "build_generator", "build_discriminator"]
