# SPDX-License-Identifier: Apache-2.0
"""Builds the extension _mlcarbon with CMake (the project's own build).

Only the Python module is built: tests, benchmarks and the CLI are off. The
CMake build folder is build/python-<interpreter>, kept between installs so
that a second install (with ccache, a first too) is quick. MLCARBON_CMAKE_ARGS
adds arguments to the configure step; MLCARBON_BUILD_DIR names an existing,
configured build folder to build the module in instead (the test suite
installs from its own build that way).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def version() -> str:
    text = (ROOT / "CMakeLists.txt").read_text()
    match = re.search(r"project\(mlcarbon VERSION ([0-9.]+)", text)
    if not match:
        raise RuntimeError("CMakeLists.txt: no 'project(mlcarbon VERSION x.y.z'")
    return match.group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        build = ROOT / "build" / f"python-{sys.implementation.cache_tag}"
        if os.environ.get("MLCARBON_BUILD_DIR"):
            build = Path(os.environ["MLCARBON_BUILD_DIR"]).resolve()
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build),
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython_EXECUTABLE={sys.executable}",
            "-DMLCARBON_BUILD_PYTHON=ON",
            "-DMLCARBON_BUILD_TESTS=OFF",
            "-DMLCARBON_BUILD_BENCH=OFF",
        ]
        if subprocess.run(["ninja", "--version"], capture_output=True).returncode == 0:
            configure += ["-G", "Ninja"]
        if shutil.which("ccache") and "CMAKE_CXX_COMPILER_LAUNCHER" not in os.environ:
            configure += [
                "-DCMAKE_C_COMPILER_LAUNCHER=ccache",
                "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache",
            ]
        configure += shlex.split(os.environ.get("MLCARBON_CMAKE_ARGS", ""))
        # A configured folder regenerates itself in `cmake --build`.
        if not (build / "CMakeCache.txt").exists():
            subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(
            ["cmake", "--build", str(build), "--target", "mlcarbon_python", "-j", jobs],
            check=True,
        )
        built = next((build / "python" / "mlcarbon").glob("_mlcarbon*.so"))
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        self.copy_file(str(built), str(target))
        # The plugins the module loads on demand (the PostgreSQL history,
        # ONNX import, the engine): core/plugin.h looks for them in a folder
        # mlcarbon/ beside the extension.
        for plugin in sorted((build / "lib" / "mlcarbon").glob("libmlcarbon_*.so")):
            (target.parent / "mlcarbon").mkdir(exist_ok=True)
            self.copy_file(str(plugin), str(target.parent / "mlcarbon" / plugin.name))


setup(
    version=version(),
    ext_modules=[Extension("mlcarbon._mlcarbon", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
)
