# Set-up and test entry points. `make test` is what CI runs (.ci/run).
PY ?= python3
PIP_INSTALL = $(PY) -m pip install --quiet --constraint constraints.txt

.PHONY: install run test clean-cache

install:  ## install twin with every extra (CPU-only torch via constraints.txt)
	$(PIP_INSTALL) -e ".[all]"

run: install  ## the main job on its embedded default scenario
	twin run scenarios/hotel.toml

test: install  ## the whole suite: tests, notebooks, doctests (JIT on, 2 workers), then kernels with JIT off
	$(PY) -m pytest -n 2 --nbmake --doctest-modules tests notebooks twin
	NUMBA_DISABLE_JIT=1 $(PY) -m pytest -q tests/physics tests/agents

clean-cache:  ## drop Numba's compiled-kernel caches (stale after editing a kernel another file's kernel calls)
	find . -path ./.git -prune -o \( -name '*.nbi' -o -name '*.nbc' \) -exec rm -f {} +
