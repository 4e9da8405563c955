# The two commands: `make run` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: run test install browser admin migrate clean bench

$(VENV)/.installed: requirements.txt requirements-no-deps.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-no-deps.txt 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
	@$(PY) -c "import django, rest_framework, allauth, django_q, anny, moderngl" || (echo "package install failed" && exit 1)
	@touch $@

# Front-end packages (Pico CSS, three.js, the splat viewer) come from npm; none are in the repository.
node_modules/.installed: package.json package-lock.json
	@echo "Installing front-end packages into node_modules ..."
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The native CPU rasteriser (a C++/OpenMP torch extension), compiled once into var/torch_extensions (or
# $ATLAS_TORCH_EXTENSIONS_DIR). When it cannot be built, make goes on: training uses the torch rasteriser.
NATIVE_DIR := $(or $(ATLAS_TORCH_EXTENSIONS_DIR),var/torch_extensions)
$(NATIVE_DIR)/.built: $(VENV)/.installed $(wildcard captures/reconstruction/gaussians/csrc/*) captures/reconstruction/gaussians/native.py
	@$(PY) -m captures.reconstruction.gaussians.native build && touch $@ || true

# The avatar studio's body model (anny): its first build takes a minute or two and writes a cache that every later
# start reads in about a second. Built once here, never inside a request.
ANNY_DIR := $(or $(ANNY_CACHE_DIR),var/anny)
$(ANNY_DIR)/.built: $(VENV)/.installed
	@ANNY_CACHE_DIR=$(ANNY_DIR) $(PY) -m generation.avatar.body build && touch $@

install: $(VENV)/.installed node_modules/.installed $(NATIVE_DIR)/.built $(ANNY_DIR)/.built

migrate: install
	@$(PY) manage.py migrate --noinput

run: migrate
	@$(PY) manage.py collectstatic --noinput --verbosity 0
	@$(PY) manage.py serve

# The browser tests drive Debian's chromium. Where it is missing it is installed with apt (as root);
# where that cannot be done the browser tests skip and say why, and the rest of the suite still runs.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium for the browser tests ..."; \
	    log=$$(mktemp); \
	    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium || \
	      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }; } >$$log 2>&1 \
	      || { tail -n 5 $$log; echo "chromium could not be installed: the browser tests will be skipped"; }; \
	    rm -f $$log; \
	  else \
	    echo "chromium is missing and cannot be installed here (needs root and apt-get): the browser tests will be skipped"; \
	  fi; }

test: install browser
	@$(PY) -m pytest

bench: install
	@$(PY) -m bench

admin: migrate
	@$(PY) manage.py createsuperuser

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
