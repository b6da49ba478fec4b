# sharebench: build, test, demo, install. On a fresh Debian 12 machine as root,
# `make demo`, `make test` and `make install` install what is missing (through
# `make deps`) and then run. Elsewhere, with the libraries of DEB_PKGS already
# installed by other means, `make NO_DEPS=1 ...` skips the Debian step.
CC       ?= gcc
CFLAGS   ?= -O2 -g
# The build runs on the machine that runs it (make builds from source), so it
# targets that CPU; `make ARCH=x86-64-v2` builds a binary to copy elsewhere.
ARCH     ?= native
# valgrind (make valgrind) knows no AVX-512: its build targets AVX2.
ifeq ($(VALGRIND),1)
ARCH     := x86-64-v3
endif
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fopenmp -march=$(ARCH) -fno-math-errno \
            $(BLAS_CFLAGS)
# OpenBLAS's headers where pkg-config says (Debian: the OpenMP build's, by its
# alternatives); expanded when a rule runs, after `make deps` installed it.
BLAS_CFLAGS = $(shell pkg-config --cflags openblas 2>/dev/null)
# Dependency files: a header change rebuilds only the objects that include it.
DEPFLAGS  = -MMD -MP
# GSL for distribution functions: -lgsl only, never -lgslcblas: OpenBLAS provides
# the CBLAS symbols GSL calls (libgsl's own dependency on libgslcblas loads after
# OpenBLAS, so OpenBLAS's definitions win).
LDLIBS   += -lsqlite3 -linih -lgsl -lopenblas -ldnnl -lcjson -lcsv -lm -fopenmp
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
PYTHON   ?= /usr/bin/python3

# Parallel by default: one job per core, unless -j was given.
ifeq ($(filter -j% j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 1)
endif

ifeq ($(FUZZ),1)
# The libFuzzer build (make fuzz): clang, every object instrumented for coverage
# and checked by AddressSanitizer and UndefinedBehaviorSanitizer.
CC       := clang-14
CFLAGS   += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
            -Wno-unknown-warning-option -Wno-pass-failed
LDFLAGS  += -fsanitize=address,undefined
BUILD    := build/fuzz
else ifeq ($(VALGRIND),1)
BUILD    := build/valgrind-build
else ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
BUILD    := build/sanitize
else
BUILD    := build/release
endif

# PLANT=slow (every training step 1.5x as long) or PLANT=lr (the learning rate
# a hundredth): a regression planted for the gate's acceptance script
# (bench/gate-acceptance.sh), built apart in build/plant-NAME; its runs record
# a version ending in +planted. Never for anything else.
ifeq ($(PLANT),slow)
CFLAGS   += -DSB_PLANT_SLOW_STEP=0.5
BUILD    := build/plant-slow
else ifeq ($(PLANT),lr)
CFLAGS   += -DSB_PLANT_LR_SCALE=0.01
BUILD    := build/plant-lr
else ifneq ($(PLANT),)
$(error PLANT=$(PLANT): expected slow or lr)
endif

# MPI=1: the same program built with Open MPI's mpicc into build/mpi, for
# mpirun and srun (README: Running on a cluster); without mpirun it behaves as
# the default build. `make test` builds it too and runs the MPI tests with it.
MPI_BUILD := build/mpi$(if $(filter 1,$(SANITIZE)),-sanitize)
ifeq ($(MPI),1)
CC       := mpicc
CFLAGS   += -DSB_MPI
BUILD    := $(MPI_BUILD)
endif

# Debian packages the project needs; `make deps` installs the missing ones.
# (DEB_PKGS= or NO_DEPS=1 skips them: for systems that have the libraries otherwise.)
DEB_PKGS := libopenblas-openmp-dev libdnnl-dev libcmocka-dev libsqlite3-dev sqlite3 gnuplot-nox libcjson-dev \
            libinih-dev libgsl-dev libcsv-dev wordnet-base pkg-config python3 python3-numpy \
            libopenmpi-dev openmpi-bin help2man
# For `make fuzz` (clang's libFuzzer and its OpenMP) and `make valgrind`.
FUZZ_PKGS     := clang-14 libclang-rt-14-dev llvm-14 libomp-14-dev
VALGRIND_PKGS := valgrind

# The fuzz targets (tests/fuzz/fuzz_NAME.c), each run for FUZZ_TIME seconds,
# FUZZ_JOBS at a time, by `make fuzz`.
FUZZ_TARGETS := config suite safetensors baseline database wn_data wn_index wn_lexnames claims runpack meminfo
FUZZ_TIME    ?= 60
FUZZ_JOBS    ?= 1

# The layers (README: Contributing): each library compiles against its own
# headers and those of the layers below it, nothing else. engine/ sees engine/,
# suites/ sees suites/, bench/ sees the public headers of both and its own;
# tools/check-layers enforces the finer rules (which folder may include which,
# private headers) before anything links.
ENGINE_INC := -Iengine
SUITES_INC := -Isuites
BENCH_INC  := -Iengine -Isuites -Ibench
TEST_INC   := $(BENCH_INC) -Itests

ENGINE_SRC := $(wildcard engine/*/*.c)
ENGINE_OBJ := $(ENGINE_SRC:%.c=$(BUILD)/%.o)
ENGINE_DBL := $(ENGINE_SRC:%.c=$(BUILD)/double/%.o)
SUITES_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard suites/*.c))
BENCH_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(filter-out bench/cmd/main.c,$(wildcard bench/*/*.c)))
LIBS       := $(BUILD)/libsbbench.a $(BUILD)/libsbsuites.a $(BUILD)/libsbengine.a
LAYERS_OK  := $(BUILD)/layers.ok
TEST_SRC   := $(wildcard tests/test_*.c)
TESTS      := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_HELPERS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/torch_export.c)) $(BUILD)/tests/libkillwrite.so

.PHONY: all deps deps-torch deps-fuzz deps-valgrind deps-gemm gemm-libs test demo bench baseline fuzz fuzz-build valgrind valgrind-run clean mpi \
        install uninstall
all: deps $(BUILD)/sharebench

# $(call install_missing,PACKAGES): apt-get install those not installed (as root), or say what to run.
define install_missing
@if [ "$(NO_DEPS)" = 1 ] || [ -z "$(strip $(1))" ]; then exit 0; fi; \
if ! command -v dpkg-query >/dev/null; then \
  echo "make deps: not a Debian system (no dpkg-query): install the libraries of DEB_PKGS (README: Building elsewhere)," \
       "then run make with NO_DEPS=1" >&2; exit 1; \
fi; \
missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ]; then \
    echo "make deps: installing $$missing"; \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
  else \
    echo "make deps: missing packages; run as root: apt-get install $$missing" >&2; exit 1; \
  fi; \
fi
endef

deps:
	$(call install_missing,$(DEB_PKGS))

deps-fuzz: deps
	$(call install_missing,$(FUZZ_PKGS))

deps-valgrind: deps
	$(call install_missing,$(VALGRIND_PKGS))

# Optional: PyTorch for the cross-check (tests/torch_check.py) and the speed peers.
deps-torch: deps
	$(call install_missing,python3-torch)

# The matrix-multiply libraries of Debian 12 compared at the training step's shapes
# (tools/gemm_libs.c: OpenBLAS, BLIS, oneDNN, libxsmm): a measuring program,
# not needed to build, test or run sharebench. `make gemm-libs [GEMM_THREADS=N]`.
GEMM_PKGS    := libblis-openmp-dev libdnnl-dev libxsmm-dev
GEMM_THREADS ?= $(shell nproc)
deps-gemm: deps
	$(call install_missing,$(GEMM_PKGS))

gemm-libs: deps-gemm
	@mkdir -p $(BUILD)/tools
	$(CC) -O2 -std=c11 -D_GNU_SOURCE -march=$(ARCH) -fopenmp -Wall -Wextra -Werror $(BLAS_CFLAGS) \
	  -isystem /usr/include/x86_64-linux-gnu/blis-openmp tools/gemm_libs.c -o $(BUILD)/tools/gemm_libs \
	  -lopenblas -L/usr/lib/x86_64-linux-gnu/blis-openmp -lblis -ldnnl -lxsmmext -lxsmm -lopenblas -lm
	$(BUILD)/tools/gemm_libs $(GEMM_THREADS)

# Engine speed and memory against PyTorch (Debian's, installed here when root) and
# the GEMM ceiling; the figures are also stored as runs of the sweep 'bench'.
# Without PyTorch (and not root to install it) it measures the rest and says so.
bench: deps $(BUILD)/sharebench
	@if [ "$$(id -u)" = 0 ] && [ "$(NO_DEPS)" != 1 ]; then $(MAKE) --no-print-directory deps-torch; \
	elif ! $(PYTHON) -c 'import torch' 2>/dev/null; then \
	  echo "make bench: PyTorch is not installed (as root: apt-get install python3-torch); measuring without the PyTorch peer"; fi
	@mkdir -p results
	$(BUILD)/sharebench bench --db results/sharebench.db

# The smoke sweep into results/sharebench.db, then its speed pass (each configuration timed
# again alone; resumable: a second `make demo` reruns nothing),
# then its report: results/report.md, results/report.html (self-contained) and results/report-figures/.
demo: deps $(BUILD)/sharebench
	@mkdir -p results
	$(BUILD)/sharebench sweep bench/sweeps/smoke.ini --db results/sharebench.db --resume --jobs 2 --speed-pass 3
	$(BUILD)/sharebench list --db results/sharebench.db --sweep smoke
	$(BUILD)/sharebench report --db results/sharebench.db --sweep smoke --out results

# Rewrite the committed baseline of the smoke sweep (results/baseline/smoke.csv) from a fresh
# run, after a change meant to move its numbers or its configuration; review the diff.
# Refuses a tree with uncommitted changes unless ALLOW_DIRTY=1.
baseline: deps $(BUILD)/sharebench
	@if [ "$(ALLOW_DIRTY)" != 1 ] && [ -n "$$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then \
	  echo "make baseline: the tree has uncommitted changes; its runs would record a version no commit holds." \
	       "Commit first, or make baseline ALLOW_DIRTY=1 to write it anyway (the gate then warns)" >&2; exit 2; fi
	@mkdir -p build results/baseline
	rm -f build/baseline.db build/baseline.db-*
	$(BUILD)/sharebench sweep bench/sweeps/smoke.ini --db build/baseline.db --jobs 2
	$(BUILD)/sharebench baseline --db build/baseline.db --sweep smoke -o results/baseline/smoke.csv

$(BUILD)/engine/%.o: engine/%.c | deps
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS) $(ENGINE_INC) $(DEPFLAGS) -c $< -o $@

$(BUILD)/suites/%.o: suites/%.c | deps
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS) $(SUITES_INC) $(DEPFLAGS) -c $< -o $@

$(BUILD)/bench/%.o: bench/%.c | deps
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS) $(BENCH_INC) $(DEPFLAGS) -c $< -o $@

# The engine again in double precision, for the finite-difference gradient tests,
# with the one-product weight gradients on (engine/core/model.c: off by default).
$(BUILD)/double/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@echo "CC $< (double)"
	@$(CC) $(CFLAGS) $(ENGINE_INC) $(DEPFLAGS) -DSB_DOUBLE -DSB_DEFER_FLOPS='(1L << 29)' -c $< -o $@

# Every #include against the layer table (tools/check-layers), before linking.
$(LAYERS_OK): tools/check-layers $(wildcard engine/*/*.[ch] suites/*.[ch] bench/*/*.[ch]) | deps
	@mkdir -p $(dir $@)
	@tools/check-layers
	@touch $@

$(BUILD)/libsbengine.a: $(ENGINE_OBJ)
	@ar rcs $@ $^

$(BUILD)/libsbengine_f64.a: $(ENGINE_DBL)
	@ar rcs $@ $^

$(BUILD)/libsbsuites.a: $(SUITES_OBJ)
	@ar rcs $@ $^

$(BUILD)/libsbbench.a: $(BENCH_OBJ) $(BUILD)/provenance.o
	@ar rcs $@ $^

# the code version recorded with every run (bench/sys/provenance.h): generated before
# every link, rewritten only when the commit, the dirty flag or a source changed
.PHONY: FORCE
$(BUILD)/provenance.c: FORCE | deps
	@mkdir -p $(dir $@)
	@tools/provenance $@ '$(PLANT)'
$(BUILD)/provenance.o: $(BUILD)/provenance.c
	@$(CC) $(CFLAGS) $(BENCH_INC) -c $< -o $@
# what --version says it was built with
BUILD_FLAGS := $(filter-out -I% -D% -W%,$(CFLAGS))
$(BUILD)/bench/cmd/version.o: CFLAGS += -DSB_BUILD_CC='"$(CC)"' -DSB_BUILD_FLAGS='"$(BUILD_FLAGS)"'

$(BUILD)/sharebench: $(BUILD)/bench/cmd/main.o $(LIBS) | $(LAYERS_OK)
	@echo "LINK $@"
	@$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)
	@$(if $(filter 1,$(MPI)),true,ln -sf $(BUILD)/sharebench sharebench 2>/dev/null || true)

# Tests named test_*_f64.c link the double-precision engine.
$(BUILD)/tests/%_f64: tests/%_f64.c $(wildcard tests/*.h) $(BUILD)/libsbengine_f64.a
	@mkdir -p $(dir $@)
	@echo "LINK $@"
	@$(CC) $(CFLAGS) $(TEST_INC) $(DEPFLAGS) -DSB_DOUBLE $(LDFLAGS) $< $(BUILD)/libsbengine_f64.a -o $@ -lcmocka $(LDLIBS)

# The fault injector the crash tests preload (tests/e2e_faults.sh): not
# sanitized, it is loaded into programs that may be.
$(BUILD)/tests/libkillwrite.so: tests/faults/killwrite.c | deps
	@mkdir -p $(dir $@)
	@echo "LINK $@"
	@$(CC) -O2 -Wall -Wextra -Werror -fPIC -shared $< -o $@ -ldl

# The fuzz targets' inputs replayed in the ordinary build (tests/fuzz/README.md).
FUZZ_SRC := $(wildcard tests/fuzz/*.c)
$(BUILD)/tests/test_fuzz_replay: tests/test_fuzz_replay.c $(wildcard tests/*.h) $(FUZZ_SRC) tests/fuzz/fuzz.h $(LIBS)
	@mkdir -p $(dir $@)
	@echo "LINK $@"
	@$(CC) $(CFLAGS) $(TEST_INC) -Itests/fuzz $(LDFLAGS) $< $(FUZZ_SRC) $(LIBS) -o $@ -lcmocka $(LDLIBS)

# One libFuzzer binary per target (FUZZ=1 builds only).
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.c tests/fuzz/fuzz.h $(LIBS)
	@mkdir -p $(dir $@)
	@echo "LINK $@"
	@$(CC) $(CFLAGS) $(TEST_INC) -DSB_LIBFUZZER -Itests/fuzz -fsanitize=fuzzer $(LDFLAGS) $< tests/fuzz/fuzz_util.c $(LIBS) -o $@ $(LDLIBS)

fuzz-build: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

# Each fuzz target for FUZZ_TIME seconds from the seed corpus (tests/fuzz/corpus/)
# and what earlier runs found (build/fuzz/corpus/); a crash stops with its input.
fuzz: deps-fuzz
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-build
	@FUZZ_TIME=$(FUZZ_TIME) FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run.sh build/fuzz $(FUZZ_TARGETS)

# The unit tests under valgrind's memcheck: no invalid access, no definite leak.
# Built apart (VALGRIND=1: AVX2, build/valgrind-build), as valgrind cannot run AVX-512.
valgrind: deps-valgrind
	@$(MAKE) --no-print-directory VALGRIND=1 valgrind-run

valgrind-run: $(TESTS)
	@OMP_NUM_THREADS=1 tests/valgrind.sh $(TESTS)

$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(LIBS)
	@mkdir -p $(dir $@)
	@echo "LINK $@"
	@$(CC) $(CFLAGS) $(TEST_INC) $(DEPFLAGS) $(LDFLAGS) $< $(LIBS) -o $@ -lcmocka $(LDLIBS)

# The MPI build, when Open MPI's compiler is there (make deps installs it).
mpi: deps
	@if command -v mpicc >/dev/null; then $(MAKE) --no-print-directory MPI=1 SANITIZE=$(SANITIZE) $(MPI_BUILD)/sharebench; \
	else echo "make mpi: no mpicc (apt-get install libopenmpi-dev openmpi-bin); the MPI tests will be skipped"; fi

test: deps $(LAYERS_OK) $(TESTS) $(TEST_HELPERS) $(BUILD)/sharebench mpi
	@OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} BUILD=$(BUILD) SB_MPI_BIN=$(MPI_BUILD)/sharebench PYTHON=$(PYTHON) \
	  tests/run.sh $(TESTS)

clean:
	rm -rf build sharebench

# ---- install ----
# make install [PREFIX=/usr/local] [DESTDIR=]: the program; its data under
# share/sharebench (found there at run time: bench/sys/datadir.h); a man page made
# from the help text by help2man; bash completion; the engine as a static
# library with its headers and a pkg-config file (pkg-config --cflags --libs
# sharebench). INSTALL_FROM names the build to install (default $(BUILD)).
PREFIX       ?= /usr/local
INSTALL_FROM ?= $(BUILD)
SHARE        := $(DESTDIR)$(PREFIX)/share/sharebench
# the engine's public headers, in their folders (core/, io/, ...: they include
# one another by those paths); the private ones stay behind
ENGINE_HEADERS := $(filter-out engine/core/model_internal.h,$(wildcard engine/*/*.h))

install: deps $(INSTALL_FROM)/sharebench $(INSTALL_FROM)/libsbengine.a
	@echo "INSTALL $(DESTDIR)$(PREFIX)"
	@install -d $(DESTDIR)$(PREFIX)/bin $(SHARE)/sweeps $(SHARE)/suites $(SHARE)/plots $(SHARE)/peers \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig $(patsubst engine/%/,$(DESTDIR)$(PREFIX)/include/sharebench/%,$(wildcard engine/*/))
	@install -m 755 $(INSTALL_FROM)/sharebench $(DESTDIR)$(PREFIX)/bin/sharebench
	@install -m 644 bench/claims.txt $(SHARE)/claims.txt
	@install -m 644 bench/sweeps/*.ini $(SHARE)/sweeps/
	@install -m 644 suites/*.suite $(SHARE)/suites/
	@install -m 644 plots/*.gp $(SHARE)/plots/
	@install -m 644 bench/peers/*.py $(SHARE)/peers/
	@tools/manpage.sh $(INSTALL_FROM)/sharebench $(DESTDIR)$(PREFIX)/share/man/man1/sharebench.1
	@install -m 644 bench/sharebench.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sharebench
	@install -m 644 $(INSTALL_FROM)/libsbengine.a $(DESTDIR)$(PREFIX)/lib/libsharebench.a
	@for h in $(ENGINE_HEADERS); do install -m 644 $$h $(DESTDIR)$(PREFIX)/include/sharebench/$${h#engine/} || exit 1; done
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' bench/sharebench.pc.in >$(DESTDIR)$(PREFIX)/lib/pkgconfig/sharebench.pc

uninstall:
	rm -rf $(SHARE) $(DESTDIR)$(PREFIX)/include/sharebench
	rm -f $(DESTDIR)$(PREFIX)/bin/sharebench $(DESTDIR)$(PREFIX)/share/man/man1/sharebench.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sharebench $(DESTDIR)$(PREFIX)/lib/libsharebench.a \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/sharebench.pc

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
