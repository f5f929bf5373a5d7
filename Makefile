# Parley: `make run` and `make test` do all the set-up on a fresh Debian machine.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the app and its tests need at run time: a virtual display,
# PortAudio, a PulseAudio server for the null-sink audio test, sox, the xcb
# libraries Qt's xcb platform plugin loads, iproute2 for the fault tests, chromium for
# the browser-guest tests (tests/browser drive it with Playwright; never a download),
# coturn, nftables and iptables for the NAT and security rigs, espeak-ng for the echo rig's
# speech, and janus (tests/sfu start its VideoRoom with a config of their own).
DEB_PACKAGES := xvfb xauth libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins sox espeak-ng \
	libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 \
	libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 \
	libxcb-xkb1 libdbus-1-3 libfontconfig1 fonts-dejavu-core iproute2 procps chromium \
	coturn nftables iptables janus

.PHONY: run test lint unit bench faults load installer installer-test package-deps clean system-deps venv

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

system-deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "Missing Debian packages. Run: sudo apt-get install -y $$missing"; exit 1; \
	fi

run: system-deps venv
	$(BIN)/parley $(ARGS)

lint: venv
	$(BIN)/ruff check app tests bench docs/examples
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: venv
	$(BIN)/pytest -q

test: system-deps venv lint package-deps
	$(BIN)/pytest -q -p no:cacheprovider

bench: system-deps venv
	$(BIN)/python -m bench $(ARGS)

# Every fault test, the long ones included (PARLEY_LONG=1): real links in network
# namespaces (needs root; PARLEY_REQUIRE_NETNS makes a missing root a failure here),
# process faults, hundreds of random fault schedules, bad input against a live server;
# then the long variants `make test` leaves out elsewhere (-m long: the other hot-plug,
# NAT, browser and interop cases; docs/testing.md lists them). tests/load is `make load`.
# Figures go to bench/results/faults.json and are printed; see docs/reliability.md.
faults: system-deps venv
	PARLEY_LONG=1 PARLEY_REQUIRE_NETNS=1 $(BIN)/pytest -q -p no:cacheprovider -rfEs tests/faults tests/security $(ARGS)
	PARLEY_LONG=1 PARLEY_REQUIRE_NETNS=1 $(BIN)/pytest -q -p no:cacheprovider -rfEs -m long tests \
		--ignore=tests/faults --ignore=tests/security --ignore=tests/load $(ARGS)
	$(BIN)/python -m tests.faults.figures faults

# One server, 500 rooms of 2 signalling-only participants; figures to bench/results/load.json.
load: system-deps venv
	PARLEY_LONG=1 $(BIN)/pytest -q -p no:cacheprovider -rfEs tests/load $(ARGS)
	$(BIN)/python -m tests.faults.figures load

# The installer (docs/packaging.md): a PyInstaller bundle in dist/Parley, packed for this
# platform (Linux: dist/Parley-<version>-linux-<arch>.tar.gz). `make test` runs
# tests/packaging too: it builds the bundle (under a minute on a fresh clone, nothing
# when it is up to date) and runs its frozen self-test, bundle check and window, and
# checks the .tar.gz against its 100 MB budget and the shared libraries against
# packaging/linux/libraries.txt.
# binutils strips the bundle's binaries and reads their links (readelf).
PACKAGING_DEB_PACKAGES := binutils

$(VENV)/.installed-package: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[package]'
	@touch $@

package-deps: venv $(VENV)/.installed-package
	@$(MAKE) --no-print-directory system-deps DEB_PACKAGES="$(PACKAGING_DEB_PACKAGES)"

installer: package-deps
	$(BIN)/python packaging/build.py installer

installer-test: system-deps package-deps
	$(BIN)/pytest -q -p no:cacheprovider tests/packaging $(ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
