# Parley. `make run` serves the demo community; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_WORKERS ?= 2
export FLASK_APP := wsgi:app

.PHONY: install install-dev migrate seed run serve-prod worker test chromium java clean-venv migration-initial bench wrk bench-bridge

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/flask community db upgrade

seed: migrate
	$(BIN)/flask community seed-demo --if-empty

run: seed
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Production shape: gunicorn (gunicorn.conf.py) plus `make worker` when COMMUNITY_REDIS_URL is set.
serve-prod: migrate
	$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

worker: install
	$(BIN)/flask community worker

# Browser tests drive Debian's Chromium; install it when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

# axe-core and vnu-jar (package.json, package-lock.json) for the quality gates crawl
# (tests/web/test_quality_crawl.py); oidc-provider, the real OpenID provider of tests/identity.
# --ignore-scripts: vnu-jar's postinstall would fetch a JRE; Debian's serves.
node-deps:
	@test -f node_modules/axe-core/axe.min.js -a -f node_modules/vnu-jar/build/dist/vnu.jar -a -f node_modules/oidc-provider/package.json || npm ci --silent --no-audit --no-fund --ignore-scripts

# The Nu Html Checker (vnu.jar) runs on Debian's headless Java; install it when missing.
java:
	@command -v java >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq default-jre-headless; }

# loadgroup: tests marked xdist_group (the drills) run on one worker, and groups are handed out first.
# wrk: tests/attachments/test_bench.py runs the attachment serving bench for a second a row.
test: install-dev chromium java node-deps nginx wrk
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Load benchmark (bench/run_bench.py): BENCH_SCALE=0.1 for a quick check, BENCH_DURATION=seconds per page.
wrk:
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }

bench: install-dev wrk
	$(BIN)/python bench/run_bench.py
	$(BIN)/python bench/write_bench.py
	$(BIN)/python bench/request_cpu_bench.py
	DRILL_SOAK_SECONDS=600 $(BIN)/python -m pytest -q -s tests/drills/test_soak.py

# X bridge classifiers: 5-fold complaint precision/recall/F1 and posts/s on the airline tweets.
bench-bridge: install-dev
	$(BIN)/python bench/bridge_bench.py

# Pre-release only: rebuild migrations/versions/0001_initial.py from the models.
migration-initial: install
	$(BIN)/python scripts/regen_initial_migration.py

clean-venv:
	rm -rf $(VENV)

# Search benchmark (bench/search_bench.py): both backends at 100,000 posts, plus similar-question
# relevance on ../shared/data/stackexchange/metase_duplicate_pairs.tsv. BENCH_POSTS to scale down.
.PHONY: bench-search
bench-search: install-dev
	$(BIN)/python bench/search_bench.py

# Relevance benchmark (bench/relevance_bench.py): similar questions and the search page on held-out
# meta.stackexchange duplicate folds and the quantumcomputing dump's own links, both backends. Prints only.
.PHONY: bench-relevance
bench-relevance: install-dev
	$(BIN)/python bench/relevance_bench.py

# Attachments benchmark (bench/attachments_bench.py): upload + re-encode time of a 4 MB photo and a
# 20 MB file (BENCH_PHOTO_MB, BENCH_FILE_MB, BENCH_REPEAT to change); then serving
# (bench/attachments_serving_bench.py): req/s and p50/p99 of a 100 KB image for a signed-in reader
# behind nginx + gunicorn, next to nginx sending the file statically and the bare Flask app
# (BENCH_DURATION, BENCH_CONNECTIONS, BENCH_SERVING_KB). Prints only.
.PHONY: bench-attachments
bench-attachments: install-dev wrk nginx
	$(BIN)/python bench/attachments_bench.py
	$(BIN)/python bench/attachments_serving_bench.py

# Live fan-out benchmark (bench/live_bench.py): 500 subscribers on one thread through nginx and
# parley-live, page traffic, replies; fan-out p50/p99 and gunicorn threads in use. Prints only.
.PHONY: bench-live live-server
bench-live: install-dev nginx
	$(BIN)/python bench/live_bench.py

# parley-live, the scale-out shape's event stream (community/live/server.py); needs COMMUNITY_REDIS_URL.
live-server: install
	$(BIN)/python -m community.live.server

# Widgets benchmark (bench/widgets_bench.py): embed.js size, widget JSON req/s and p50/p99 under gunicorn + wrk.
.PHONY: bench-widgets node-deps
bench-widgets: install-dev wrk
	$(BIN)/python bench/widgets_bench.py

# Feeds/sitemap at 100,000 threads on SQLite and webhook deliveries/s to a local receiver (bench/feeds_bench.py).
.PHONY: bench-feeds
bench-feeds: install-dev
	$(BIN)/python bench/feeds_bench.py

# Metrics benchmark (bench/metrics_bench.py): rollup job time and the 90-day /staff/dashboard render
# (target < 1 s) at 1M posts / 100k threads on SQLite and PostgreSQL. BENCH_SCALE to scale down.
.PHONY: bench-metrics
bench-metrics: install-dev
	$(BIN)/python bench/metrics_bench.py

# Fault drills (tests/drills, marker `drill`; also part of `make test`): kill -9 a worker mid-post,
# PostgreSQL and Redis outages, 200 clients for 1 minute, slow clients behind nginx. Each drill
# starts its own PostgreSQL, Redis, gunicorn and nginx on free ports and removes them afterwards.
.PHONY: drills nginx
drills: install-dev nginx
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m drill tests/drills $(PYTEST_ARGS)

# nginx is the documented reverse proxy (deploy/nginx-parley.conf); the slow-client drill runs it.
nginx:
	@test -x /usr/sbin/nginx || command -v nginx >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx-light; }

# JSON API benchmark (bench/api_bench.py): /api/v1 listings by cursor vs the HTML listing by offset,
# a thread with posts and a category listing at BENCH_THREADS threads (default 100,000) on SQLite.
.PHONY: bench-api
bench-api: install-dev
	$(BIN)/python bench/api_bench.py

# X bridge outbox benchmark (bench/bridge_outbox_bench.py): BENCH_OUTBOX_N invites queued, sent to the
# fake X on 127.0.0.1 and reconciled after a simulated crash of every send (SQLite, one process).
.PHONY: bench-bridge-outbox
bench-bridge-outbox: install-dev
	$(BIN)/python bench/bridge_outbox_bench.py
