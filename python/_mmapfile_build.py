"""In-tree PEP 517 backend: setuptools builds, this module packs the wheel.

setuptools (before 70.1) needs the separate `wheel` package to make a wheel,
and an offline machine may not have it; `pip install --no-build-isolation
./python` must work there.  So the extension is built with `setup.py
build_ext`, the metadata comes from setuptools (pyproject.toml), and the
wheel - a zip with a WHEEL file and a RECORD - is written here.
"""
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

from setuptools import build_meta as _setuptools

HERE = os.path.dirname(os.path.abspath(__file__))

build_sdist = _setuptools.build_sdist
get_requires_for_build_sdist = _setuptools.get_requires_for_build_sdist


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    """The .dist-info from setuptools' egg_info (which, unlike its dist_info,
    needs no `wheel` package): PKG-INFO is the METADATA file."""
    work = tempfile.mkdtemp(prefix="mmapfile-meta-")
    try:
        subprocess.check_call([sys.executable, "setup.py", "-q", "egg_info",
                               "--egg-base", work], cwd=HERE)
        egg = next(d for d in os.listdir(work) if d.endswith(".egg-info"))
        with open(os.path.join(work, egg, "PKG-INFO"), "rb") as f:
            pkg_info = f.read()
        fields = dict(line.split(": ", 1) for line in
                      pkg_info.decode("utf-8").split("\n\n")[0].splitlines()
                      if ": " in line)
        name = fields["Name"].replace("-", "_")
        dist_info = "%s-%s.dist-info" % (name, fields["Version"])
        out = os.path.join(metadata_directory, dist_info)
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "METADATA"), "wb") as f:
            f.write(pkg_info)
        shutil.copyfile(os.path.join(work, egg, "top_level.txt"),
                        os.path.join(out, "top_level.txt"))
        return dist_info
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _tag():
    """cp311-cp311-linux_x86_64, as bdist_wheel names an extension wheel."""
    impl = "cp%d%d" % sys.version_info[:2]
    soabi = sysconfig.get_config_var("SOABI") or ""
    abi = impl
    if soabi.startswith("cpython-"):  # cpython-311d-x86_64-linux-gnu
        abi = "cp" + soabi.split("-")[1]
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "%s-%s-%s" % (impl, abi, plat)


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return "%s,sha256=%s,%d" % (arcname, digest.rstrip(b"=").decode(), len(data))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    work = tempfile.mkdtemp(prefix="mmapfile-wheel-")
    try:
        if metadata_directory is None:
            metadata_directory = os.path.join(
                work, prepare_metadata_for_build_wheel(work))
        lib = os.path.join(work, "lib")
        subprocess.check_call(
            [sys.executable, "setup.py", "build_ext", "--build-lib", lib,
             "--build-temp", os.path.join(work, "tmp")], cwd=HERE)

        dist_info = os.path.basename(metadata_directory)
        name_version = dist_info[:-len(".dist-info")]
        tag = _tag()
        wheel_name = "%s-%s.whl" % (name_version, tag)
        files = []  # (arcname, bytes)
        for entry in sorted(os.listdir(lib)):
            with open(os.path.join(lib, entry), "rb") as f:
                files.append((entry, f.read()))
        for entry in sorted(os.listdir(metadata_directory)):
            if entry in ("RECORD", "WHEEL"):
                continue
            with open(os.path.join(metadata_directory, entry), "rb") as f:
                files.append(("%s/%s" % (dist_info, entry), f.read()))
        wheel_file = ("Wheel-Version: 1.0\nGenerator: mmapfile-build\n"
                      "Root-Is-Purelib: false\nTag: %s\n" % tag).encode()
        files.append(("%s/WHEEL" % dist_info, wheel_file))

        record = [_record_line(a, d) for a, d in files]
        record.append("%s/RECORD,," % dist_info)
        files.append(("%s/RECORD" % dist_info, ("\n".join(record) + "\n").encode()))

        os.makedirs(wheel_directory, exist_ok=True)
        path = os.path.join(wheel_directory, wheel_name)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for arcname, data in files:
                info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = (0o755 if arcname.endswith((".so", ".pyd"))
                                      else 0o644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
        return wheel_name
    finally:
        shutil.rmtree(work, ignore_errors=True)
