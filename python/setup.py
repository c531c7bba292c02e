"""Build the `mmapfile` extension with setuptools, where it is present.

The usual build needs no setuptools: the PEP 517 backend in
_mmapfile_build.py compiles from sysconfig (pip install ./python).  This
file is the Windows path of that backend (MSVC is not described by
sysconfig) and a convenience for `python setup.py build_ext --inplace`.
The sources are the backend's: ../src of the checkout, or _csrc/ of an
sdist.
"""
import os
import shutil
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _mmapfile_build import BACKEND, CORE, source_root  # noqa: E402

ROOT = source_root()
SRC = os.path.join(ROOT, "src")
INCLUDE = os.path.join(ROOT, "include")


def rel(path):
    # setuptools wants sources relative to setup.py's directory.
    return os.path.relpath(path, HERE)


if os.name == "nt":
    macros = [("_CRT_SECURE_NO_WARNINGS", None)]
    extra_args = []
    extra_link = []
    libraries = []
else:
    macros = [("_GNU_SOURCE", None), ("_FILE_OFFSET_BITS", "64")]
    extra_args = ["-std=c11"]
    extra_link = []
    libraries = ["pthread"]
    if sys.platform.startswith("linux"):
        libraries.append("rt")
        # Export only PyInit_mmapfile: the library's calls then bind
        # directly instead of through the PLT (read_byte-style loops are
        # call-bound) and its symbols cannot clash with another copy.
        extra_link = ["-Wl,--version-script=" + rel(os.path.join(HERE, "exports.map"))]


class BuildExt(build_ext):
    """Link-time optimisation where the toolchain has it, and the typing
    stub next to the built module."""

    def lto_works(self):
        # -flto lets the compiler inline the library's small entry points
        # (mmf_get_byte's in-window test) into the method bodies: about ten
        # instructions per read_byte()/m[i]/m[a:b].  Probe rather than
        # assume: a toolchain without the LTO plugin must still build.
        if os.name == "nt" or os.environ.get("MMAPFILE_LTO", "1") == "0":
            return False
        import tempfile
        tmp = tempfile.mkdtemp(prefix="mmapfile-lto-")
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write("int mmapfile_lto_probe(int x) { return x + 1; }\n")
        try:
            objs = self.compiler.compile([src], output_dir=tmp,
                                         extra_postargs=["-flto"])
            self.compiler.link_shared_object(
                objs, os.path.join(tmp, "probe.so"), extra_postargs=["-flto"])
            return True
        except Exception:  # any failure of the probe: build without LTO
            return False
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def build_extensions(self):
        if self.lto_works():
            for e in self.extensions:
                e.extra_compile_args = list(e.extra_compile_args) + ["-flto"]
                e.extra_link_args = list(e.extra_link_args) + ["-flto"]
        super().build_extensions()

    def run(self):
        super().run()
        if not self.inplace:
            os.makedirs(self.build_lib, exist_ok=True)
            shutil.copyfile(os.path.join(HERE, "mmapfile.pyi"),
                            os.path.join(self.build_lib, "mmapfile.pyi"))


ext = Extension(
    "mmapfile",
    sources=["mmapfilemodule.c"] + [rel(os.path.join(SRC, f))
                                    for f in CORE + [BACKEND]],
    include_dirs=[rel(INCLUDE), rel(SRC)],
    define_macros=macros,
    extra_compile_args=extra_args,
    libraries=libraries,
    extra_link_args=extra_link,
    depends=[rel(os.path.join(INCLUDE, "mmapfile.h")),
             rel(os.path.join(SRC, "internal.h")), "exports.map"],
)

# Explicit (empty) module lists: no package auto-discovery of tests/, bench/.
setup(ext_modules=[ext], py_modules=[], packages=[],
      cmdclass={"build_ext": BuildExt})
