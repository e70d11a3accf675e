"""Notebook support: the workspace the notebooks open, widgets and findings.

Everything a notebook cell calls lives here or earlier, so notebooks stay thin.
"""
