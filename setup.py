"""Packages of the wheel; everything else is in pyproject.toml.

The report notebooks live in the repository's ``notebooks/`` (JupyterLab opens
them there, the notebook tests run them there) and ship in the wheel as the
data-only package ``workbench.notebooks``, so an installed ``workbench report``
finds them (``workbench.paths.packaged_notebooks``). pyproject.toml alone cannot
map a folder outside ``workbench/`` into the package while discovering the
sub-packages, hence this file.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["workbench", "workbench.*"]), "workbench.notebooks"],
    package_dir={"workbench.notebooks": "notebooks"},
)
