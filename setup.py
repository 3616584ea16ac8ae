"""The build hook, and only that (the package's metadata is in pyproject.toml).

The top-level ``presets/`` folder is the source of the shipped presets; ``build_py`` copies its YAML files into
the package as ``tui_dl/presets/`` so that a wheel carries them and ``tui-dl lenet5`` works from any directory
(``tui_dl.core.presets`` finds them there, or in ``presets/`` itself in a checkout or an editable install).
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithPresets(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads presets/ where it is
        source = HERE / "presets"
        files = sorted(p for p in source.glob("*.y*ml") if p.is_file())
        if not files:
            raise SystemExit(f"setup.py: no presets found in {source}")
        target = Path(self.build_lib) / "tui_dl" / "presets"
        self.mkpath(str(target))
        for p in files:
            self.copy_file(str(p), str(target / p.name))


setup(cmdclass={"build_py": BuildPyWithPresets})
