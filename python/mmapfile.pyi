"""Typing stub for the mmapfile extension (the POSIX build)."""
import sys
from collections.abc import Iterator
from typing import NoReturn, overload

if sys.version_info >= (3, 12):
    from collections.abc import Buffer as _Buffer
else:
    from typing import Union
    _Buffer = Union[bytes, bytearray, memoryview]

__version__: str

ACCESS_DEFAULT: int
ACCESS_READ: int
ACCESS_WRITE: int
ACCESS_COPY: int
ALLOCATIONGRANULARITY: int
PAGESIZE: int

# POSIX; each exists where <sys/mman.h> defines it, as in the stdlib.
PROT_EXEC: int
PROT_READ: int
PROT_WRITE: int
MAP_SHARED: int
MAP_PRIVATE: int
MAP_ANON: int
MAP_ANONYMOUS: int
MAP_DENYWRITE: int
MAP_EXECUTABLE: int
MAP_POPULATE: int
MAP_STACK: int
MAP_NORESERVE: int
MAP_32BIT: int
MS_ASYNC: int
MS_INVALIDATE: int
MS_SYNC: int

MADV_NORMAL: int
MADV_RANDOM: int
MADV_SEQUENTIAL: int
MADV_WILLNEED: int
MADV_DONTNEED: int
MADV_FREE: int
MADV_REMOVE: int
MADV_DONTFORK: int
MADV_DOFORK: int
MADV_HWPOISON: int
MADV_MERGEABLE: int
MADV_UNMERGEABLE: int
MADV_SOFT_OFFLINE: int
MADV_HUGEPAGE: int
MADV_NOHUGEPAGE: int
MADV_DONTDUMP: int
MADV_DODUMP: int

error = OSError

class MappedFileError(OSError):
    """The mapped file shrank under the map, or a page could not be read or
    written (I/O error, disk full).  errno is errno.EFAULT."""

class mmap:
    def __new__(
        cls,
        fileno: int,
        length: int,
        flags: int = ...,
        prot: int = ...,
        access: int = ...,
        offset: int = ...,
        *,
        trackfd: bool = True,
        window: int | None = None,
        reserve: int = 0,
    ) -> mmap: ...
    @property
    def closed(self) -> bool: ...
    @property
    def windowed(self) -> bool: ...
    def close(self) -> None: ...
    def find(self, sub: _Buffer, start: int | None = ..., end: int | None = ..., /) -> int: ...
    def rfind(self, sub: _Buffer, start: int | None = ..., end: int | None = ..., /) -> int: ...
    def count(self, sub: _Buffer, start: int | None = ..., end: int | None = ..., /) -> int: ...
    def flush(self, offset: int = 0, size: int | None = None, /, *, flags: int = ...) -> None: ...
    def madvise(self, option: int, start: int = 0, length: int | None = None, /) -> None: ...
    def move(self, dest: int, src: int, count: int, /) -> None: ...
    def read(self, n: int | None = None, /) -> bytes: ...
    def read_byte(self) -> int: ...
    def readline(self) -> bytes: ...
    def resize(self, newsize: int, /) -> None: ...
    if sys.version_info >= (3, 13):
        def seek(self, pos: int, whence: int = 0, /) -> int: ...
    else:
        def seek(self, pos: int, whence: int = 0, /) -> None: ...
    def seekable(self) -> bool: ...
    def set_name(self, name: str, /) -> None: ...
    def size(self) -> int: ...
    def tell(self) -> int: ...
    def write(self, bytes: _Buffer, /) -> int: ...
    def write_byte(self, byte: int, /) -> None: ...
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, key: int, /) -> int: ...
    @overload
    def __getitem__(self, key: slice, /) -> bytes: ...
    @overload
    def __setitem__(self, key: int, value: int, /) -> None: ...
    @overload
    def __setitem__(self, key: slice, value: _Buffer, /) -> None: ...
    def __delitem__(self, key: int | slice, /) -> NoReturn: ...
    def __contains__(self, o: object, /) -> bool: ...
    def __iter__(self) -> Iterator[bytes]: ...
    def __enter__(self) -> mmap: ...
    def __exit__(self, *args: object) -> None: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...
    def __release_buffer__(self, buffer: memoryview, /) -> None: ...
