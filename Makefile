# The README's two commands are `make demo` and `make test`; everything else here serves them.
BUILD_DIR ?= build
PYTHON ?= /usr/bin/python3
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLINTH_WERROR=ON

.PHONY: setup build demo test unit-test py-test bench clean

setup:
	@bash scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS) > /dev/null
	@cmake --build $(BUILD_DIR)

# `make demo KEEP=1` leaves the server running after the tour.
demo: build
	@bash scripts/demo.sh $(if $(KEEP),--keep,)

unit-test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j2

py-test: build
	@PLINTH_BIN=$(CURDIR)/$(BUILD_DIR)/plinth $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration clients/python/tests

test: unit-test py-test

bench: build
	@bash bench/run_all.sh

clean:
	rm -rf $(BUILD_DIR)
