package inference

import (
	_ "embed"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	ort "github.com/yalue/onnxruntime_go"
)

// Provider names an ONNX Runtime execution provider, or "auto".
type Provider string

// The execution providers a caller may request.
const (
	ProviderAuto     Provider = "auto"     // CUDA when it starts, otherwise CPU
	ProviderCUDA     Provider = "cuda"     // NVIDIA GPU through the CUDA provider
	ProviderTensorRT Provider = "tensorrt" // NVIDIA GPU through TensorRT, with CUDA for the nodes TensorRT leaves
	ProviderCPU      Provider = "cpu"      // ONNX Runtime's own CPU kernels
)

// Providers lists every provider a caller may request.
var Providers = []Provider{ProviderAuto, ProviderCUDA, ProviderTensorRT, ProviderCPU}

// ParseProvider parses a provider name as given on the command line or in a
// setting. It accepts the names in Providers, in any letter case.
func ParseProvider(s string) (Provider, error) {
	p := Provider(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range Providers {
		if p == known {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown execution provider %q; use one of auto, cuda, tensorrt, cpu", s)
}

// ProviderStatus reports which execution provider runs the models and, when
// it is not the one requested, why.
type ProviderStatus struct {
	Requested Provider
	Active    Provider // never ProviderAuto once models are loaded
	Reason    string   // cause of Active differing from Requested, or empty
}

// String returns the status as one line for a status bar or a log:
// "cuda", or "cpu (cuda requested: ...)".
func (s ProviderStatus) String() string {
	if s.Reason == "" {
		return string(s.Active)
	}
	return fmt.Sprintf("%s (%s requested: %s)", s.Active, s.Requested, s.Reason)
}

// FellBack reports whether the models run on another provider than the one
// requested. A request for auto that ends on CPU counts as a fallback.
func (s ProviderStatus) FellBack() bool { return s.Reason != "" }

// ProviderOptions selects the execution provider and how sessions run.
type ProviderOptions struct {
	Provider Provider // "" means ProviderAuto

	// NoFallback makes a provider that cannot start an error instead of a
	// fallback to CPU. It has no effect on ProviderAuto, which includes CPU.
	NoFallback bool

	DeviceID int // GPU ordinal for CUDA and TensorRT

	// IntraOpThreads is the number of threads ONNX Runtime uses inside one
	// model run on CPU; 0 keeps ONNX Runtime's default (one per core).
	IntraOpThreads int
}

func (o ProviderOptions) requested() Provider {
	if o.Provider == "" {
		return ProviderAuto
	}
	return o.Provider
}

// chain lists the providers to try, in order.
func (o ProviderOptions) chain() []Provider {
	switch o.requested() {
	case ProviderAuto:
		return []Provider{ProviderCUDA, ProviderCPU}
	case ProviderCPU:
		return []Provider{ProviderCPU}
	default:
		if o.NoFallback {
			return []Provider{o.requested()}
		}
		return []Provider{o.requested(), ProviderCPU}
	}
}

// ProviderError reports a provider that could not start when fallback is
// disabled.
type ProviderError struct {
	Provider Provider
	Reason   string
}

func (e *ProviderError) Error() string {
	return fmt.Sprintf("execution provider %s cannot start: %s", e.Provider, e.Reason)
}

// newSessionOptions builds the ONNX Runtime session options for one
// provider. The caller destroys them.
func newSessionOptions(p Provider, opts ProviderOptions) (*ort.SessionOptions, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("create ONNX Runtime session options: %w", err)
	}
	if opts.IntraOpThreads > 0 {
		if err := so.SetIntraOpNumThreads(opts.IntraOpThreads); err != nil {
			so.Destroy()
			return nil, fmt.Errorf("set %d intra-op threads: %w", opts.IntraOpThreads, err)
		}
	}

	switch p {
	case ProviderCUDA:
		err = appendCUDA(so, opts.DeviceID)
	case ProviderTensorRT:
		err = appendTensorRT(so, opts.DeviceID)
	}
	if err != nil {
		so.Destroy()
		return nil, err
	}
	return so, nil
}

func appendCUDA(so *ort.SessionOptions, device int) error {
	cuda, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return err
	}
	defer cuda.Destroy()

	// Update loads the provider libraries, so a missing library shows here
	// with ONNX Runtime's full message.
	if err := cuda.Update(map[string]string{"device_id": strconv.Itoa(device)}); err != nil {
		return err
	}
	return so.AppendExecutionProviderCUDA(cuda)
}

func appendTensorRT(so *ort.SessionOptions, device int) error {
	trt, err := ort.NewTensorRTProviderOptions()
	if err != nil {
		return err
	}
	defer trt.Destroy()

	if err := trt.Update(map[string]string{"device_id": strconv.Itoa(device)}); err != nil {
		return err
	}
	if err := so.AppendExecutionProviderTensorRT(trt); err != nil {
		return err
	}
	// ONNX Runtime runs the nodes TensorRT does not take on the next
	// provider in the list, so CUDA follows it.
	return appendCUDA(so, device)
}

// ortMessage matches the prefix ONNX Runtime puts before its own message:
// "/onnxruntime_src/...cc:1988 func [ONNXRuntimeError] : 1 : FAIL : ".
var ortMessage = regexp.MustCompile(`\[ONNXRuntimeError\] : \d+ : \w+ : `)

// providerReason turns the error from starting provider p into one line for
// ProviderStatus.Reason, with the step that fixes the most common causes.
// libDir is the folder of the core library, where the provider libraries
// must sit.
func providerReason(p Provider, libDir string, err error) string {
	msg := strings.TrimSpace(err.Error())
	if loc := ortMessage.FindStringIndex(msg); loc != nil {
		msg = msg[loc[1]:]
	}
	msg = strings.Join(strings.Fields(msg), " ")

	var hint string
	switch {
	case strings.Contains(msg, "libonnxruntime_providers_shared.so") ||
		strings.Contains(msg, "libonnxruntime_providers_"+string(p)+".so: cannot open"):
		hint = fmt.Sprintf("run `make gpu-runtime` (scripts/install-deps --gpu) to put the %s provider libraries in %s", p, libDir)
	case strings.Contains(msg, "libcublas") || strings.Contains(msg, "libcudart") ||
		strings.Contains(msg, "libcudnn") || strings.Contains(msg, "libcufft") || strings.Contains(msg, "libnvinfer"):
		hint = "install CUDA 13 and cuDNN 9 (and TensorRT for the tensorrt provider) so the loader finds them"
	case strings.Contains(msg, "no CUDA-capable device") || strings.Contains(msg, "CUDA driver"):
		hint = "check the NVIDIA driver with nvidia-smi"
	}
	reason := fmt.Sprintf("%s provider failed to start: %s", p, msg)
	if hint != "" {
		reason += "; " + hint
	}
	return reason
}

// libraryDirOf returns the folder of the running core library, or "" when
// no environment is running.
func libraryDirOf(rt *Runtime) string {
	if rt == nil || rt.library.Path == "" {
		return ""
	}
	return filepath.Dir(rt.library.Path)
}

// startProviders calls start with each provider of opts's chain until one
// succeeds, and reports which one did and why the first failed. With no
// provider left, the error is start's error for CPU, or a *ProviderError.
func startProviders(rt *Runtime, opts ProviderOptions, start func(Provider) error) (ProviderStatus, error) {
	status := ProviderStatus{Requested: opts.requested()}
	chain := opts.chain()
	for i, p := range chain {
		err := start(p)
		if err == nil {
			status.Active = p
			return status, nil
		}
		if p == ProviderCPU {
			return status, err
		}
		reason := providerReason(p, libraryDirOf(rt), err)
		if status.Reason == "" {
			status.Reason = reason
		}
		if i == len(chain)-1 {
			return status, &ProviderError{Provider: p, Reason: reason}
		}
	}
	return status, fmt.Errorf("no execution provider to try for %q", opts.requested())
}

// probeModel is a one-node ONNX model (y = x + x on float32 [1,4]) written
// by scripts/make-test-models.
//
//go:embed probe.onnx
var probeModel []byte

// ProbeProvider starts the execution provider opts requests with a
// one-node model and reports which provider runs, with the same fallback
// rules as Registry.Load. It needs no model set, so a program can show the
// provider at start-up. Creating the session is what starts a provider:
// for CUDA that loads the provider and CUDA libraries and opens the device.
func ProbeProvider(rt *Runtime, opts ProviderOptions) (ProviderStatus, error) {
	return startProviders(rt, opts, func(p Provider) error {
		so, err := newSessionOptions(p, opts)
		if err != nil {
			return err
		}
		defer so.Destroy()

		s, err := ort.NewDynamicAdvancedSessionWithONNXData(probeModel, []string{"x"}, []string{"y"}, so)
		if err != nil {
			return err
		}
		return s.Destroy()
	})
}
