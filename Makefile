# Set-up and test entry points. `make test` is what CI runs (.ci/run).
PY ?= python3
PIP_INSTALL = $(PY) -m pip install --quiet --constraint constraints.txt

.PHONY: install system-deps dashboard-assets run test clean-cache

install:  ## install twin with every extra (CPU-only torch via constraints.txt)
	$(PIP_INSTALL) -e ".[all]"

# System packages the hardware-adapter tests need: a real MQTT broker (mosquitto) and
# openssl for their TLS certificates; mosquitto-clients is the device side of
# `python -m benchmarks hw` (a C subscriber, so the device side is not the bottleneck);
# chromium is the headless browser the dashboard tests drive (Playwright with the system
# browser) and npm fetches the dashboard page's JavaScript bundle once. Installs only what is missing, with apt as root
# (CI); anyone else is told why nothing was installed (TWIN_HW_TESTS=skip skips the
# MQTT tests locally; under CI they fail without the broker).
SYSTEM_PACKAGES = mosquitto mosquitto-clients openssl chromium npm
system-deps:  ## apt-get install mosquitto (mosquitto-clients, openssl), chromium, npm if missing; a no-op when present
	@missing=""; \
	command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing="$$missing mosquitto"; \
	command -v mosquitto_sub >/dev/null 2>&1 || missing="$$missing mosquitto-clients"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -z "$$missing" ]; then \
		echo "system-deps: $(SYSTEM_PACKAGES) present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "system-deps: installing$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	else \
		echo "system-deps: missing$$missing; not root or no apt-get, so not installing (install them, or set TWIN_HW_TESTS=skip)"; \
	fi

run: install  ## the main job on its embedded default scenario
	twin run scenarios/hotel.toml

# The dashboard page's JavaScript bundle (an npm package), fetched at set-up so that
# nothing is downloaded while the dashboard or its tests run.
dashboard-assets: install system-deps  ## npm pack the Solara page bundle into the dashboard's cache (once)
	$(PY) -c "from twin.dashboard.assets import ensure_assets; print('dashboard-assets:', ensure_assets())"

test: install system-deps dashboard-assets  ## the whole suite: tests, notebooks, doctests (JIT on, 2 workers), then kernels with JIT off
	$(PY) -m pytest -n 2 --nbmake --doctest-modules tests notebooks twin hw_adapters
	NUMBA_DISABLE_JIT=1 $(PY) -m pytest -q tests/physics tests/agents

clean-cache:  ## drop Numba's compiled-kernel caches (stale after editing a kernel another file's kernel calls)
	find . -path ./.git -prune -o \( -name '*.nbi' -o -name '*.nbc' \) -exec rm -f {} +
