# The front door.  `make` builds, `make check` installs what the tests need
# and runs every test, `make demo` runs the main job.  The real build is
# CMake's; this file only names the steps.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMMF_WERROR=ON
NEED       = scripts/need-packages.sh

.PHONY: all deps check check-format check-unit check-asan check-cli check-python check-bigfile check-install \
        check-windows windows-check check-i686 i686 check-fuzz check-reliability \
        check-valgrind check-musl-dlopen demo bench fuzz install clean \
        check-cross check-cross-aarch64 check-cross-s390x check-cross-musl cross-guard-cost

all: $(BUILD)/.configured
	cmake --build $(BUILD) -j $(JOBS)

$(BUILD)/.configured: CMakeLists.txt
	@$(NEED) cmake libcmocka-dev pkg-config
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	@touch $@

deps:
	@$(NEED) cmake libcmocka-dev pkg-config clang libclang-rt-14-dev valgrind

# Everything CI runs.  Each step prints its own summary.
check: deps check-format all check-unit check-install check-asan check-cli check-python check-reliability \
       check-bigfile check-windows check-i686 check-cross check-fuzz check-valgrind check-musl-dlopen
	@echo "make check: all steps passed"

check-unit: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The C sources follow .clang-format.
check-format:
	@$(NEED) clang-format
	@files=$$(git ls-files '*.c' '*.h' 2>/dev/null || find src include cli tests bench fuzz python -name '*.[ch]'); \
	 if clang-format --dry-run --Werror $$files; then echo "format: $$(echo $$files | wc -w) files clean"; \
	 else echo "format: run clang-format -i on the files above"; exit 1; fi

# Install into a temporary prefix; build the README example with
# pkg-config and with find_package(mmapfile).
check-install: all
	tests/install/run.sh $(BUILD)

# The unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
check-asan:
	@$(NEED) clang libclang-rt-14-dev libcmocka-dev
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	  -DMMF_BUILD_BENCH=OFF \
	  -DCMAKE_C_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=handle_sigbus=0:detect_leaks=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

check-cli: all
	@$(NEED) bsdextrautils python3
	@if [ -x tests/cli/run.sh ]; then tests/cli/run.sh $(BUILD); \
	 else echo "check-cli: tests/cli/run.sh missing"; exit 1; fi

check-python: all
	@$(NEED) python3 python3-dev python3-setuptools
	@if [ -x python/tests/run.sh ]; then python/tests/run.sh; \
	 else echo "check-python: python/tests/run.sh missing"; exit 1; fi

check-reliability: all
	@$(NEED) e2fsprogs
	@if [ -x tests/reliability/run.sh ]; then tests/reliability/run.sh $(BUILD); \
	 else echo "check-reliability: tests/reliability/run.sh missing"; exit 1; fi

# Files larger than the address space: 6 GiB under `ulimit -v`.
check-bigfile: all
	@$(NEED) bsdextrautils
	@if [ -x tests/bigfile/run.sh ]; then tests/bigfile/run.sh $(BUILD); \
	 else echo "check-bigfile: tests/bigfile/run.sh missing"; exit 1; fi

windows-check check-windows:
	@if [ -x tests/windows/run.sh ]; then tests/windows/run.sh; \
	 else echo "check-windows: tests/windows/run.sh missing"; exit 1; fi

# 32-bit x86 with the i686-linux-gnu-gcc cross compiler, never gcc -m32:
# Debian 12's gcc-12-multilib conflicts with the cross compilers below.
i686 check-i686:
	@if [ -x tests/i686/run.sh ]; then tests/i686/run.sh $@; \
	 else echo "check-i686: tests/i686/run.sh missing"; exit 1; fi

# Beyond x86-64 glibc: static aarch64 and s390x (big-endian) builds under
# qemu-user, and a static musl build run natively; each runs the unit
# tests, rel_truncate and the CLI tests, with named exclusions
# (tests/cross/run.sh, docs/platforms.md).  About 30 s a target.
check-cross:
	@if [ -x tests/cross/run.sh ]; then tests/cross/run.sh aarch64 s390x musl; \
	 else echo "check-cross: tests/cross/run.sh missing"; exit 1; fi

check-cross-aarch64 check-cross-s390x check-cross-musl:
	tests/cross/run.sh $(@:check-cross-%=%)

# The fault guard's cost per byte access in instructions, counted by
# qemu-user: aarch64 (jump point) and x86-64 (probes, and without them).
cross-guard-cost:
	tests/cross/guard_cost.sh

check-fuzz:
	@if [ -x fuzz/run.sh ]; then fuzz/run.sh short; \
	 else echo "check-fuzz: fuzz/run.sh missing"; exit 1; fi

fuzz:
	fuzz/run.sh long

# The library as a dlopen()ed object on musl (no initial-exec TLS).
check-musl-dlopen:
	tests/musl_dlopen.sh

check-valgrind: all
	@$(NEED) valgrind
	@if [ -x tests/valgrind.sh ]; then tests/valgrind.sh $(BUILD); \
	 else echo "check-valgrind: tests/valgrind.sh missing"; exit 1; fi

# The main job: the classic "normal file vs mmap" experiment and more, on a
# generated 16 MiB file.
demo: all
	$(BUILD)/cli/mmf bench

bench: all
	@if [ -x bench/run.sh ]; then bench/run.sh $(BUILD); \
	 else echo "bench: bench/run.sh missing"; exit 1; fi

install: all
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-*
