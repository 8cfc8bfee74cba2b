from .deeplabv2 import *
