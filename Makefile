# Set-up and test entry points. `make test` is what CI runs (.ci/run).
PY ?= python3
PIP_INSTALL = $(PY) -m pip install --quiet --constraint constraints.txt

.PHONY: install run test test-nojit

install:  ## install twin with every extra (CPU-only torch via constraints.txt)
	$(PIP_INSTALL) -e ".[all]"

run: install  ## the main job on its embedded default scenario
	twin run scenarios/hotel.toml

test: install  ## the whole suite: JIT on (2 workers), then the kernels with JIT off
	$(PY) -m pytest -n 2 --dist loadgroup
	NUMBA_DISABLE_JIT=1 $(PY) -m pytest -q -p no:randomly tests/physics
