from setuptools import setup, find_packages
setup(name='vicorobot', packages=find_packages())
