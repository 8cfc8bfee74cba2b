from .models import LRCN
