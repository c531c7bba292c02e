"""The in-tree PEP 517 backend: a correct wheel from the checkout and from an
unpacked sdist (a copied tree, without ../src), and that wheel installed
into a fresh venv with --no-index runs the module's tests."""
import base64
import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import unittest
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.dirname(HERE)


def backend(call, cwd, *args):
    """Run `_mmapfile_build.<call>(*args)` as pip would: in a child with the
    source tree as working directory and on sys.path (backend-path)."""
    code = ("import sys; sys.path.insert(0, '.'); import _mmapfile_build as b;"
            "print(b.%s(*sys.argv[1:]))" % call)
    r = subprocess.run([sys.executable, "-c", code] + list(args), cwd=cwd,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError(r.stderr)
    return r.stdout.strip().splitlines()[-1]


class WheelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mmapfile-pkg-")
        cls.wheel = os.path.join(cls.tmp, backend("build_wheel", PYDIR, cls.tmp))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_wheel_name_and_tags_are_the_running_interpreters(self):
        impl = "cp%d%d" % sys.version_info[:2]
        plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        name = os.path.basename(self.wheel)
        self.assertTrue(name.startswith("mmapfile-0.1.0-%s-" % impl), name)
        self.assertTrue(name.endswith("-%s.whl" % plat), name)
        with zipfile.ZipFile(self.wheel) as z:
            wheel = z.read("mmapfile-0.1.0.dist-info/WHEEL").decode()
        self.assertIn("Root-Is-Purelib: false", wheel)
        self.assertIn("Tag: %s" % name[len("mmapfile-0.1.0-"):-len(".whl")], wheel)

    def test_record_lists_every_file_with_its_sha256(self):
        with zipfile.ZipFile(self.wheel) as z:
            names = set(z.namelist())
            record = list(csv.reader(io.StringIO(
                z.read("mmapfile-0.1.0.dist-info/RECORD").decode())))
            listed = set()
            for path, digest, size in record:
                listed.add(path)
                if path.endswith("RECORD"):
                    self.assertEqual((digest, size), ("", ""))
                    continue
                data = z.read(path)
                want = base64.urlsafe_b64encode(
                    hashlib.sha256(data).digest()).rstrip(b"=").decode()
                self.assertEqual(digest, "sha256=" + want, path)
                self.assertEqual(int(size), len(data), path)
        self.assertEqual(listed, names)
        ext = "mmapfile/__init__" + sysconfig.get_config_var("EXT_SUFFIX")
        for f in (ext, "mmapfile/__init__.pyi", "mmapfile/py.typed",
                  "mmapfile-0.1.0.dist-info/METADATA"):
            self.assertIn(f, names)

    def test_metadata_comes_from_pyproject(self):
        with zipfile.ZipFile(self.wheel) as z:
            meta = z.read("mmapfile-0.1.0.dist-info/METADATA").decode()
        self.assertIn("Metadata-Version: 2.1\nName: mmapfile\nVersion: 0.1.0\n", meta)
        self.assertIn("Requires-Python: >=3.10", meta)
        self.assertIn("Description-Content-Type: text/markdown", meta)
        self.assertIn("# mmapfile for Python", meta)

    def test_an_unpacked_sdist_builds_without_the_repository(self):
        sdist = os.path.join(self.tmp, backend("build_sdist", PYDIR, self.tmp))
        tree = os.path.join(self.tmp, "unpacked")
        with tarfile.open(sdist) as t:
            names = t.getnames()
            # The "data" filter where tarfile has it (3.12+, backports).
            kw = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            t.extractall(tree, **kw)
        self.assertIn("mmapfile-0.1.0/_csrc/src/map.c", names)
        self.assertIn("mmapfile-0.1.0/PKG-INFO", names)
        src = os.path.join(tree, "mmapfile-0.1.0")
        out = os.path.join(self.tmp, "from-sdist")
        name = backend("build_wheel", src, out)
        self.assertEqual(name, os.path.basename(self.wheel))

    def test_the_wheel_installs_into_a_fresh_venv_offline_and_works(self):
        venv = os.path.join(self.tmp, "venv")
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv],
                       check=True, timeout=120)
        py = os.path.join(venv, "bin", "python")
        r = subprocess.run([sys.executable, "-m", "pip", "--python", py,
                            "install", "--no-index", "-q", self.wheel],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0 and "no such option: --python" in r.stderr:
            self.skipTest("pip older than 22.3")
        self.assertEqual(r.returncode, 0, r.stderr)
        # The module's own API and fidelity tests, run by the venv's
        # interpreter from outside the source tree.
        cwd = os.path.join(self.tmp, "cwd")
        os.makedirs(cwd)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["PYTHONPATH"] = HERE  # support.py only; mmapfile from the venv
        r = subprocess.run([py, "-c",
                            "import mmapfile, sys, unittest; "
                            "assert mmapfile.__file__.startswith(sys.prefix), "
                            "mmapfile.__file__; "
                            "unittest.main(module=None, argv=['x', 'test_api', "
                            "'test_fidelity'])"],
                           cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertIn("OK", r.stderr)


if __name__ == "__main__":
    unittest.main()
