"""In-tree PEP 517 build backend for mmapfile: nothing but the interpreter
and a C compiler.

`pip install --no-build-isolation ./python` and `pip wheel
--no-build-isolation --no-deps ./python` must work offline on every CPython
3.8+, and 3.12+ ship without setuptools.  So this module compiles the
extension itself, the way distutils did, from `sysconfig` (CC, CFLAGS,
CCSHARED, LDSHARED, EXT_SUFFIX, the include directories; CC/CFLAGS/LDSHARED/
LDFLAGS from the environment override or extend them as they did with
distutils), and packs the wheel (a zip with METADATA, WHEEL and a RECORD of
sha256 digests).  setuptools is not used on POSIX; on Windows, whose compiler
sysconfig does not describe, the build goes through setup.py and setuptools.

The extension is linked with the library's C sources, so that a wheel has no
run-time dependency.  They are found, in this order, in $MMAPFILE_SOURCE_ROOT,
in `_csrc/` next to this file (an sdist carries them there, so a copied or
unpacked tree builds) and in the repository checkout around it (`..`).

Layout installed: the package `mmapfile/` whose `__init__` is the extension
module, with `__init__.pyi` and `py.typed` beside it (PEP 561: type checkers
read stubs only from packages that say so).

Used by tests/run.sh too:  python _mmapfile_build.py build DIR  builds the
package into DIR/mmapfile/ (add DIR to sys.path).
"""
import base64
import hashlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))

# The library's core, plus the one backend of this platform.
CORE = ["map.c", "access.c", "io.c", "search.c", "window.c", "error.c",
        "policy.c", "reserve.c"]
BACKEND = "win32.c" if os.name == "nt" else "posix.c"
HEADERS = ["include/mmapfile.h", "src/internal.h"]
# What an sdist carries besides _csrc/.
SDIST_FILES = ["pyproject.toml", "README.md", "_mmapfile_build.py", "setup.py",
               "mmapfilemodule.c", "mmapfile.pyi", "exports.map"]


# --------------------------------------------------------------- sources


def source_root():
    """The directory holding src/ and include/ of libmmapfile."""
    candidates = [os.environ.get("MMAPFILE_SOURCE_ROOT"),
                  os.path.join(HERE, "_csrc"), os.path.dirname(HERE)]
    for root in candidates:
        if root and os.path.isfile(os.path.join(root, "src", "map.c")) \
                and os.path.isfile(os.path.join(root, "include", "mmapfile.h")):
            return root
    raise RuntimeError(
        "mmapfile: the libmmapfile C sources were not found (looked for "
        "src/map.c in $MMAPFILE_SOURCE_ROOT, %s and %s); build from a "
        "checkout of the repository or from the sdist"
        % (os.path.join(HERE, "_csrc"), os.path.dirname(HERE)))


def sources():
    root = source_root()
    return ([os.path.join(HERE, "mmapfilemodule.c")]
            + [os.path.join(root, "src", f) for f in CORE + [BACKEND]])


# ---------------------------------------------------------------- compile


def _var(name):
    return sysconfig.get_config_var(name) or ""


def _toolchain():
    """(cc, cflags, ldshared) as lists, distutils' customize_compiler rules:
    $CC replaces the compiler (and the one at the head of LDSHARED),
    $LDSHARED replaces the link line, $CFLAGS/$CPPFLAGS/$LDFLAGS append."""
    cc = os.environ.get("CC") or _var("CC")
    ldshared = _var("LDSHARED")
    if "CC" in os.environ and ldshared.startswith(_var("CC")):
        ldshared = os.environ["CC"] + ldshared[len(_var("CC")):]
    ldshared = os.environ.get("LDSHARED") or ldshared
    cflags = " ".join([_var("CFLAGS"), _var("CCSHARED"),
                       os.environ.get("CFLAGS", ""),
                       os.environ.get("CPPFLAGS", "")])
    ldflags = os.environ.get("LDFLAGS", "")
    return (shlex.split(cc), shlex.split(cflags),
            shlex.split(ldshared) + shlex.split(ldflags))


def _includes():
    root = source_root()
    dirs = [os.path.join(root, "include"), os.path.join(root, "src")]
    for key in ("include", "platinclude"):
        d = sysconfig.get_path(key)
        if d and d not in dirs:
            dirs.append(d)
    return ["-I" + d for d in dirs]


def _run(cmd, log):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.decode("utf-8", "replace")
    log.append(" ".join(shlex.quote(c) for c in cmd) + "\n" + out)
    if proc.returncode == 0 and out.strip():
        sys.stderr.write(out)  # the compiler's warnings
    if proc.returncode != 0:
        raise RuntimeError("mmapfile: command failed (%d):\n%s"
                           % (proc.returncode, log[-1]))


def _lto_works(cc, cflags, ldshared, tmp):
    """-flto lets the compiler inline the library's small entry points
    (mmf_get_byte's in-window test) into the method bodies: about ten
    instructions per read_byte()/m[i]/m[a:b].  Probe rather than assume: a
    toolchain without the LTO plugin must still build."""
    if os.environ.get("MMAPFILE_LTO", "1") == "0":
        return False
    src = os.path.join(tmp, "lto_probe.c")
    with open(src, "w") as f:
        f.write("int mmapfile_lto_probe(int x) { return x + 1; }\n")
    obj, so = src[:-2] + ".o", src[:-2] + ".so"
    try:
        _run(cc + cflags + ["-flto", "-c", src, "-o", obj], [])
        _run(ldshared + [obj, "-o", so, "-flto"], [])
        return True
    except (RuntimeError, OSError):
        return False


def _tls_flags(cc):
    """TLS descriptors for the guard's thread-locals, as CMakeLists.txt
    gives the C library: the module is dlopen()ed, where initial-exec TLS
    may be refused (musl) and classic __tls_get_addr costs a call on every
    guarded access (src/internal.h).  GCC on x86-64 only; elsewhere the
    compiler's default, which the source's local-dynamic model refines."""
    import platform
    compiler = os.path.basename(cc[0]) if cc else ""
    if platform.machine() in ("x86_64", "AMD64") and "gcc" in compiler:
        return ["-mtls-dialect=gnu2"]
    return []


def build_extension(out_path, temp_dir, extra_cflags=()):
    """Compile and link the extension module to out_path; returns it.
    The sources compile in parallel (two jobs per CPU, at most eight)."""
    if os.name == "nt":
        return _build_with_setuptools(out_path, temp_dir)
    cc, cflags, ldshared = _toolchain()
    ours = (["-std=c11", "-D_GNU_SOURCE", "-D_FILE_OFFSET_BITS=64"]
            + _tls_flags(cc) + list(extra_cflags))
    lto = _lto_works(cc, cflags, ldshared, temp_dir)
    if lto:
        ours.append("-flto")
    includes = _includes()
    log = []
    jobs = []
    for i, src in enumerate(sources()):
        obj = os.path.join(temp_dir, "%d-%s.o"
                           % (i, os.path.splitext(os.path.basename(src))[0]))
        jobs.append((cc + cflags + ours + includes + ["-c", src, "-o", obj], obj))
    workers = max(1, min(8, 2 * (os.cpu_count() or 1)))
    with ThreadPoolExecutor(workers) as pool:
        for f in [pool.submit(_run, cmd, log) for cmd, _ in jobs]:
            f.result()
    link = ldshared + [obj for _, obj in jobs] + ["-o", out_path]
    if lto:
        link += ["-flto"] + [f for f in cflags + list(extra_cflags)
                             if f.startswith(("-O", "-fsanitize"))]
    elif any(f.startswith("-fsanitize") for f in extra_cflags):
        link += [f for f in extra_cflags if f.startswith("-fsanitize")]
    if sys.platform.startswith("linux"):
        # Export only PyInit_mmapfile: the library's calls then bind
        # directly instead of through the PLT (read_byte-style loops are
        # call-bound) and its symbols cannot clash with another copy.
        link.append("-Wl,--version-script=" + os.path.join(HERE, "exports.map"))
        link += ["-lpthread", "-lrt"]
    elif sys.platform != "darwin":
        link.append("-lpthread")
    _run(link, log)
    return out_path


def _build_with_setuptools(out_path, temp_dir):
    lib = os.path.join(temp_dir, "lib")
    subprocess.check_call([sys.executable, "setup.py", "build_ext",
                           "--build-lib", lib, "--build-temp",
                           os.path.join(temp_dir, "tmp")], cwd=HERE)
    built = [f for f in os.listdir(lib) if f.startswith("mmapfile.")
             and f.endswith(_var("EXT_SUFFIX") or ".pyd")]
    shutil.copyfile(os.path.join(lib, built[0]), out_path)
    return out_path


def build_package(dest, temp_dir=None, extra_cflags=()):
    """dest/mmapfile/{__init__<EXT_SUFFIX>, __init__.pyi, py.typed}."""
    pkg = os.path.join(dest, "mmapfile")
    os.makedirs(pkg, exist_ok=True)
    tmp = temp_dir or tempfile.mkdtemp(prefix="mmapfile-build-")
    try:
        build_extension(os.path.join(pkg, "__init__" + _var("EXT_SUFFIX")),
                        tmp, extra_cflags)
    finally:
        if temp_dir is None:
            shutil.rmtree(tmp, ignore_errors=True)
    shutil.copyfile(os.path.join(HERE, "mmapfile.pyi"),
                    os.path.join(pkg, "__init__.pyi"))
    with open(os.path.join(pkg, "py.typed"), "w") as f:
        f.write("")
    return pkg


# --------------------------------------------------------------- metadata


def _pyproject():
    """The [project] table of pyproject.toml.  tomllib where there is one
    (3.11+); before, a reader for the subset this file uses: `key = "str"`
    and `key = ["str", ...]` (possibly over several lines)."""
    path = os.path.join(HERE, "pyproject.toml")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        import tomllib
        return tomllib.loads(raw.decode("utf-8"))["project"]
    except ImportError:
        pass
    project, table, pending = {}, None, None
    for line in raw.decode("utf-8").splitlines():
        line = line.split(" #")[0].strip() if not line.lstrip().startswith("#") else ""
        if not line:
            continue
        if pending is not None:
            pending[1].append(line)
            if line.endswith("]"):
                project[pending[0]] = re.findall(r'"([^"]*)"', " ".join(pending[1]))
                pending = None
            continue
        if line.startswith("["):
            table = line.strip("[]").strip()
            continue
        if table != "project" or "=" not in line:
            continue
        key, value = [s.strip() for s in line.split("=", 1)]
        if value.startswith("["):
            if value.endswith("]"):
                project[key] = re.findall(r'"([^"]*)"', value)
            else:
                pending = (key, [value])
        else:
            project[key] = value.strip('"')
    return project


def _metadata():
    p = _pyproject()
    lines = ["Metadata-Version: 2.1", "Name: " + p["name"],
             "Version: " + p["version"]]
    if p.get("description"):
        lines.append("Summary: " + p["description"])
    if p.get("requires-python"):
        lines.append("Requires-Python: " + p["requires-python"])
    for c in p.get("classifiers", []):
        lines.append("Classifier: " + c)
    body = ""
    readme = p.get("readme")
    if isinstance(readme, str):
        with open(os.path.join(HERE, readme), encoding="utf-8") as f:
            body = f.read()
        lines.append("Description-Content-Type: text/markdown")
    text = "\n".join(lines) + "\n"
    if body:
        text += "\n" + body
    return p["name"], p["version"], text.encode("utf-8")


def _dist_info_name():
    name, version, _ = _metadata()
    return "%s-%s.dist-info" % (re.sub(r"[-_.]+", "_", name).lower(), version)


def _tag():
    """cp311-cp311-linux_x86_64 from the running interpreter, as
    bdist_wheel names an extension wheel (cp313t for a free-threaded one)."""
    impl = "cp%d%d" % sys.version_info[:2]
    abi = impl
    soabi = _var("SOABI")
    if soabi.startswith("cpython-"):  # cpython-313t-x86_64-linux-gnu
        abi = "cp" + soabi.split("-")[1]
    elif _var("Py_DEBUG"):
        abi += "d"
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "%s-%s-%s" % (impl, abi, plat)


# ------------------------------------------------------------------ PEP 517


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = _dist_info_name()
    out = os.path.join(metadata_directory, dist_info)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "METADATA"), "wb") as f:
        f.write(_metadata()[2])
    with open(os.path.join(out, "top_level.txt"), "w") as f:
        f.write("mmapfile\n")
    return dist_info


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return "%s,sha256=%s,%d" % (arcname, digest.rstrip(b"=").decode(), len(data))


def _write_wheel(wheel_directory, files):
    """files: [(arcname, bytes)] without the .dist-info; adds METADATA,
    top_level.txt, WHEEL and RECORD and writes the zip."""
    dist_info = _dist_info_name()
    tag = _tag()
    files = list(files)
    files.append(("%s/METADATA" % dist_info, _metadata()[2]))
    files.append(("%s/top_level.txt" % dist_info, b"mmapfile\n"))
    files.append(("%s/WHEEL" % dist_info,
                  ("Wheel-Version: 1.0\nGenerator: mmapfile _mmapfile_build\n"
                   "Root-Is-Purelib: false\nTag: %s\n" % tag).encode()))
    record = [_record_line(a, d) for a, d in files]
    record.append("%s/RECORD,," % dist_info)
    files.append(("%s/RECORD" % dist_info, ("\n".join(record) + "\n").encode()))
    wheel_name = "%s-%s.whl" % (dist_info[:-len(".dist-info")], tag)
    os.makedirs(wheel_directory, exist_ok=True)
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w",
                         zipfile.ZIP_DEFLATED) as z:
        for arcname, data in files:
            info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
            mode = 0o755 if arcname.endswith((".so", ".pyd")) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return wheel_name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    work = tempfile.mkdtemp(prefix="mmapfile-wheel-")
    try:
        tmp = os.path.join(work, "tmp")
        os.makedirs(tmp)
        pkg = build_package(os.path.join(work, "lib"), tmp)
        files = []
        for entry in sorted(os.listdir(pkg)):
            with open(os.path.join(pkg, entry), "rb") as f:
                files.append(("mmapfile/" + entry, f.read()))
        return _write_wheel(wheel_directory, files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """PEP 660: build the package into python/build/editable/ and install a
    .pth that puts that directory on sys.path (rerun to rebuild)."""
    dest = os.path.join(HERE, "build", "editable")
    work = tempfile.mkdtemp(prefix="mmapfile-editable-")
    try:
        build_package(dest, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _write_wheel(wheel_directory,
                        [("mmapfile_editable.pth", (dest + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    """mmapfile-V.tar.gz: this directory's build files, the tests, and the
    library sources under _csrc/ so that the unpacked tree builds alone."""
    name, version, metadata = _metadata()
    base = "%s-%s" % (name, version)
    root = source_root()
    members = [(os.path.join(HERE, f), f) for f in SDIST_FILES]
    tests = os.path.join(HERE, "tests")
    members += [(os.path.join(tests, f), "tests/" + f)
                for f in sorted(os.listdir(tests))
                if f.endswith((".py", ".sh"))]
    members += [(os.path.join(root, "src", f), "_csrc/src/" + f)
                for f in CORE + ["posix.c", "win32.c"]]
    members += [(os.path.join(root, h), "_csrc/" + h) for h in HEADERS]
    os.makedirs(sdist_directory, exist_ok=True)
    out = "%s.tar.gz" % base
    with tarfile.open(os.path.join(sdist_directory, out), "w:gz",
                      format=tarfile.PAX_FORMAT) as tar:
        def add(arcname, data, mode=0o644):
            info = tarfile.TarInfo("%s/%s" % (base, arcname))
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
        add("PKG-INFO", metadata)
        for path, arcname in members:
            with open(path, "rb") as f:
                add(arcname, f.read(), 0o755 if arcname.endswith(".sh") else 0o644)
    return out


def main(argv):
    if len(argv) >= 2 and argv[0] == "build":
        extra = shlex.split(os.environ.get("MMAPFILE_EXTRA_CFLAGS", ""))
        try:
            print(build_package(os.path.abspath(argv[1]), extra_cflags=extra))
        except RuntimeError as e:
            sys.stderr.write("%s\n" % e)
            return 1
        return 0
    sys.stderr.write("usage: python _mmapfile_build.py build DIR\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
