# curate: see README.md. `make` builds ./curate; `make test` runs everything
# under AddressSanitizer + UBSan; `make demo` opens the TUI on a demo pool.

CC      ?= cc
PKGS    := ncursesw panelw libcurl sqlite3 libcjson libmongoc-1.0
# libcurl and libmongoc are compiled against (their headers) but loaded with
# dlopen by the commands that use them (core/llm.c, data/mongo_dl.c): a
# process that makes no request starts without their 50 libraries.
LINK_PKGS := ncursesw panelw sqlite3 libcjson
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wno-unused-parameter
CFLAGS  ?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null) -ldl -lpthread -lm
# The unit tests' loopback helper (tests/unit/srv.c) calls libcurl itself.
UNIT_LIBS  = $(PKG_LIBS) $(shell pkg-config --libs libcurl 2>/dev/null)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined

CORE_SRC := $(wildcard core/*.c)
DATA_SRC := $(wildcard data/*.c)
TUI_SRC  := $(wildcard tui/app/*.c tui/cli/*.c tui/term/*.c tui/workbench/*.c)
LIB_SRC  := $(CORE_SRC) $(DATA_SRC) $(TUI_SRC)
UNIT_SRC := $(wildcard tests/unit/*.c)

OBJ      := $(LIB_SRC:%.c=build/rel/%.o)
SAN_OBJ  := $(LIB_SRC:%.c=build/san/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=build/san/%.o)
# make bench's tools (tests/bench/*.c: generator, pool-call and LLM drivers)
# link the release objects of core/ and data/; make test builds them too, so
# a change that breaks them fails there, not at the next bench.
BENCH_OBJ := $(CORE_SRC:%.c=build/rel/%.o) $(DATA_SRC:%.c=build/rel/%.o)
BENCH_BIN := $(patsubst tests/bench/%.c,build/bench/%,$(wildcard tests/bench/*.c))

.PHONY: all deps test unit valgrind demo bench fuzz clean layers

all: deps curate

deps:
	@sh .ci/deps

curate: $(OBJ) build/rel/tui/main.o
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

build/rel/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -MMD -MP $(PKG_CFLAGS) -c -o $@ $<

build/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(SAN) -MMD -MP $(PKG_CFLAGS) -c -o $@ $<

build/san/curate: $(SAN_OBJ) build/san/tui/main.o
	$(CC) $(SAN) -o $@ $^ $(PKG_LIBS)

build/san/unit: $(SAN_OBJ) $(UNIT_OBJ)
	$(CC) $(SAN) -o $@ $^ $(UNIT_LIBS)

# Unplain build (no sanitizers) of the unit tests, for valgrind.
build/rel/unit: $(OBJ) $(UNIT_SRC:%.c=build/rel/%.o)
	$(CC) $(CFLAGS) -o $@ $^ $(UNIT_LIBS)

build/bench/%: tests/bench/%.c $(BENCH_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(BENCH_OBJ) $(PKG_LIBS)

test: deps layers build/san/curate build/san/unit curate $(BENCH_BIN)
	@bash tests/run

# The direction of dependencies (DESIGN.md): core includes neither data nor
# tui, data does not include tui, curses only in tui/workbench.
layers:
	@sh tests/layers

unit: deps build/san/unit
	@build/san/unit

valgrind: deps build/rel/unit curate
	valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
	  --error-exitcode=99 -q build/rel/unit

demo: all
	@./curate --db demo.db demo --reset >/dev/null || \
	  echo "make demo: demo.db kept as it is (see above)"
	@./curate --db demo.db

bench: all $(BENCH_BIN)
	@bash tests/bench/run

fuzz: deps
	@bash tests/fuzz/run

# Header dependencies recorded by -MMD: a header change rebuilds only its users.
-include $(shell find build -name '*.d' 2>/dev/null)

clean:
	rm -rf build curate
