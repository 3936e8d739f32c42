"""Packaging hook: the wheel carries the dataset's sources so an installed package publishes them.

Everything else is declared in pyproject.toml. ``ontology/``, ``graph/`` and ``shapes/`` are copied into
``blackjanuary/bundled/`` of the build (not in editable installs, which read the checkout itself);
``blackjanuary.config.find_project_root`` falls back to that copy outside a checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA_DIRS = ("ontology", "graph", "shapes")
HERE = Path(__file__).resolve().parent


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        bundle = Path(self.build_lib) / "blackjanuary" / "bundled"
        for name in DATA_DIRS:
            target = bundle / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(HERE / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithData})
