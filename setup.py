"""Only for `scrapyd-deploy`, which builds its egg with `python setup.py bdist_egg`.

Everything is declared in pyproject.toml (the `scrapy` entry point names the settings).
Without this file scrapyd-deploy writes its own setup.py into the project.
"""

from setuptools import setup

setup()
