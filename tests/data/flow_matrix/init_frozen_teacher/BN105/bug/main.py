from trainer import Distiller

if __name__ == "__main__":
    distiller = Distiller([])
    distiller.fit(10)
