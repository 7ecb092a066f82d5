"""Builds _missionsim with CMake for `pip install --no-build-isolation .` (see pyproject.toml).

The extension is the CMake target _missionsim (python/CMakeLists.txt), built
for the interpreter running pip; the packages are python/missionsim and
analysis.
"""
import os
import pathlib
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = pathlib.Path(self.build_temp).resolve() / "cmake"
        subprocess.check_call(["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                               "-DMISSIONSIM_WITH_PYTHON=ON", "-DMISSIONSIM_BUILD_TESTS=OFF",
                               "-DMISSIONSIM_BUILD_BENCH=OFF", f"-DMISSIONSIM_PYTHON={sys.executable}"])
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.check_call(["cmake", "--build", str(build), "--target", "_missionsim", "-j", jobs])
        built = next((build / "python").glob("_missionsim*.so"))
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, target)


setup(
    packages=["missionsim", "analysis"],
    package_dir={"missionsim": "python/missionsim", "analysis": "analysis"},
    ext_modules=[Extension("_missionsim", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
)
