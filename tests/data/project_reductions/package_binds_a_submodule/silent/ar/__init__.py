from .models import video
