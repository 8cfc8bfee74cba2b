"""Deployment package for the retail shelf-gap detector classifier."""
