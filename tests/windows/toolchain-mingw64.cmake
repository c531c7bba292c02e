# Cross-compiling for 64-bit Windows with Debian's mingw-w64
# (gcc-mingw-w64-x86-64).  Used by tests/windows/run.sh:
#   cmake -DCMAKE_TOOLCHAIN_FILE=tests/windows/toolchain-mingw64.cmake ...
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(MMF_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${MMF_MINGW_TRIPLE}-gcc)
set(CMAKE_RC_COMPILER ${MMF_MINGW_TRIPLE}-windres)

# Headers and libraries from the mingw sysroot only; programs from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${MMF_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

# libgcc (which holds mingw's emulated TLS) linked in, so that the programs
# need no DLL beside them to run under Wine or on Windows.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static-libgcc")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc")
