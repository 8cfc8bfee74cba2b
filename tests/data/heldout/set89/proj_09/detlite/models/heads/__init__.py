from .retina_head import RetinaBNHead

__all__ = ['RetinaBNHead']
