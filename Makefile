# Down There: build, run and test on Debian 12.
#
#   make run          install what is missing, build, open the viewer
#   make test         install what is missing, run every test
#   make gpu-runtime  add the CUDA/TensorRT execution provider libraries
#   make models       train the shipped model set (hours; resumable)

SHELL := /bin/bash
GO ?= go
ORT_DIR := $(CURDIR)/.deps/onnxruntime-1.29.0
ORT_LIB := $(ORT_DIR)/libonnxruntime.so.1
TAGS := onnx
BIN := bin/viewer

export DOWNTHERE_ORT_LIB ?= $(ORT_LIB)
export ONNXRUNTIME_SHARED_LIBRARY_PATH ?= $(ORT_LIB)
export GOMLX_NO_AUTO_INSTALL := 1
# ONNX Runtime's string ops want a UTF-8 locale; locales-all provides this.
export LC_ALL := en_US.UTF-8
export GOFLAGS := -tags=$(TAGS)

.PHONY: deps gpu-runtime build run test test-go test-ui test-fuzz test-e2e \
        fixtures models eval bench screenshots gpu-check clean

deps:
	@scripts/install-deps

gpu-runtime:
	@scripts/install-deps --gpu

build: deps
	$(GO) build -o $(BIN) ./cmd/viewer

run: build
	./$(BIN) $(ARGS)

test: deps test-go test-ui test-fuzz test-e2e

# The end-to-end suite in e2e/ runs once, in test-e2e, against bin/viewer.
test-go:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m $$($(GO) list ./... | grep -v /e2e$$)
	$(GO) test -C third_party/compute-onnx -count=1 -run "LiveNodes|ConvertWeightsToFloat16" .

# Widgets are tested with Fyne's headless driver, which needs no cgo.
test-ui:
	CGO_ENABLED=0 GOFLAGS= $(GO) test -count=1 ./ui/...

test-fuzz:
	@scripts/fuzz-short

test-e2e: build
	@scripts/e2e-bad-input $(BIN)

fixtures:
	scripts/make-fixtures

models: deps
	scripts/train-default-models

# Regenerates docs/results.md from the shipped models (about 15 minutes on
# 2 cores; needs ../shared/data).
eval: build
	./$(BIN) eval

bench: deps
	scripts/bench-all

screenshots: build
	scripts/screenshots $(BIN)

clean:
	rm -rf bin

# Checks the CUDA path on a machine with an NVIDIA GPU, CUDA 13 and cuDNN 9.
gpu-check: build
	scripts/gpu-check gpu-check.txt
