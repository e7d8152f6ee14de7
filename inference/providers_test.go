package inference

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// skipIfProviderLibraries skips a test when the CUDA provider libraries are
// installed next to the core library, where the fallback reason differs.
func skipIfProviderLibraries(t *testing.T, rt *Runtime) string {
	t.Helper()
	dir := filepath.Dir(rt.Library().Path)
	if _, err := os.Stat(filepath.Join(dir, "libonnxruntime_providers_shared.so")); err == nil {
		t.Skipf("provider libraries are installed in %s; this test checks the reason given without them", dir)
	}
	return dir
}

func TestProviderFallbackWithoutProviderLibraries(t *testing.T) {
	rt := needRuntime(t)
	dir := skipIfProviderLibraries(t, rt)
	shared := filepath.Join(dir, "libonnxruntime_providers_shared.so")
	missing := "Failed to load library " + shared + " with error: " + shared + ": cannot open shared object file: No such file or directory"

	tests := []struct {
		name       string
		provider   Provider
		wantReason string
	}{
		{
			name:     "auto",
			provider: ProviderAuto,
			wantReason: "cuda provider failed to start: " + missing +
				"; run `make gpu-runtime` (scripts/install-deps --gpu) to put the cuda provider libraries in " + dir,
		},
		{
			name:     "cuda",
			provider: ProviderCUDA,
			wantReason: "cuda provider failed to start: " + missing +
				"; run `make gpu-runtime` (scripts/install-deps --gpu) to put the cuda provider libraries in " + dir,
		},
		{
			name:     "tensorrt",
			provider: ProviderTensorRT,
			wantReason: "tensorrt provider failed to start: " + missing +
				"; run `make gpu-runtime` (scripts/install-deps --gpu) to put the tensorrt provider libraries in " + dir,
		},
		{name: "cpu", provider: ProviderCPU},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := loadTestSet(t, Options{ProviderOptions: ProviderOptions{Provider: tt.provider}})
			got := ms.Provider()
			t.Logf("status: %s", got)

			if got.Requested != tt.provider {
				t.Errorf("requested %q, want %q", got.Requested, tt.provider)
			}
			if got.Active != ProviderCPU {
				t.Errorf("active %q, want cpu", got.Active)
			}
			if got.Reason != tt.wantReason {
				t.Errorf("reason\n%s\nwant\n%s", got.Reason, tt.wantReason)
			}
			if _, err := ms.Encode(context.Background(), testPatches(ms, 1)); err != nil {
				t.Errorf("encode after fallback: %v", err)
			}
		})
	}
}

func TestProviderNoFallbackReturnsError(t *testing.T) {
	rt := needRuntime(t)
	dir := skipIfProviderLibraries(t, rt)

	for _, p := range []Provider{ProviderCUDA, ProviderTensorRT} {
		t.Run(string(p), func(t *testing.T) {
			reg := NewRegistry(rt, Options{ProviderOptions: ProviderOptions{Provider: p, NoFallback: true}})
			ms, err := reg.Load(context.Background(), testSetInfo())
			if err == nil {
				ms.Close()
				t.Fatal("no error with fallback disabled")
			}
			var perr *ProviderError
			if !errors.As(err, &perr) {
				t.Fatalf("error %v is %T, want *ProviderError", err, err)
			}
			if perr.Provider != p {
				t.Errorf("error names provider %q, want %q", perr.Provider, p)
			}
			want := "execution provider " + string(p) + " cannot start: " + string(p) + " provider failed to start: Failed to load library " +
				filepath.Join(dir, "libonnxruntime_providers_shared.so")
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error\n%v\ndoes not start with\n%s", err, want)
			}
		})
	}
}

func TestProviderNoFallbackKeepsAutoOnCPU(t *testing.T) {
	rt := needRuntime(t)
	skipIfProviderLibraries(t, rt)

	ms := loadTestSet(t, Options{ProviderOptions: ProviderOptions{Provider: ProviderAuto, NoFallback: true}})
	if got := ms.Provider(); got.Active != ProviderCPU || !got.FellBack() {
		t.Errorf("status %+v, want cpu with a reason", got)
	}
}

func TestProviderReason(t *testing.T) {
	tests := []struct {
		name     string
		provider Provider
		err      string
		want     string
	}{
		{
			name:     "CUDA libraries missing",
			provider: ProviderCUDA,
			err: "/onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1988 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() " +
				"[ONNXRuntimeError] : 1 : FAIL : Failed to load library /o/libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory",
			want: "cuda provider failed to start: Failed to load library /o/libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory; " +
				"install CUDA 13 and cuDNN 9 (and TensorRT for the tensorrt provider) so the loader finds them",
		},
		{
			name:     "no device",
			provider: ProviderCUDA,
			err:      "CUDA failure 100: no CUDA-capable device is detected ; GPU=0 ; hostname=x",
			want:     "cuda provider failed to start: CUDA failure 100: no CUDA-capable device is detected ; GPU=0 ; hostname=x; check the NVIDIA driver with nvidia-smi",
		},
		{
			name:     "other error",
			provider: ProviderTensorRT,
			err:      "something\nelse   failed",
			want:     "tensorrt provider failed to start: something else failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := providerReason(tt.provider, "/o", errors.New(tt.err))
			if got != tt.want {
				t.Errorf("reason\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestParseProvider(t *testing.T) {
	tests := []struct {
		in      string
		want    Provider
		wantErr bool
	}{
		{in: "auto", want: ProviderAuto},
		{in: "CUDA", want: ProviderCUDA},
		{in: " tensorrt ", want: ProviderTensorRT},
		{in: "cpu", want: ProviderCPU},
		{in: "rocm", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseProvider(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseProvider(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestProviderStatusString(t *testing.T) {
	tests := []struct {
		name   string
		status ProviderStatus
		want   string
	}{
		{name: "as requested", status: ProviderStatus{Requested: ProviderCUDA, Active: ProviderCUDA}, want: "cuda"},
		{name: "fallback", status: ProviderStatus{Requested: ProviderAuto, Active: ProviderCPU, Reason: "no GPU"}, want: "cpu (auto requested: no GPU)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.status.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProbeProvider(t *testing.T) {
	rt := needRuntime(t)
	dir := skipIfProviderLibraries(t, rt)
	wantReason := "cuda provider failed to start: Failed to load library " + filepath.Join(dir, "libonnxruntime_providers_shared.so")

	tests := []struct {
		name       string
		opts       ProviderOptions
		wantActive Provider
		wantReason string
		wantErr    bool
	}{
		{name: "cpu", opts: ProviderOptions{Provider: ProviderCPU}, wantActive: ProviderCPU},
		{name: "default is auto", opts: ProviderOptions{}, wantActive: ProviderCPU, wantReason: wantReason},
		{name: "cuda falls back", opts: ProviderOptions{Provider: ProviderCUDA}, wantActive: ProviderCPU, wantReason: wantReason},
		{name: "cuda without fallback", opts: ProviderOptions{Provider: ProviderCUDA, NoFallback: true}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, err := ProbeProvider(rt, tt.opts)
			if tt.wantErr {
				var perr *ProviderError
				if !errors.As(err, &perr) {
					t.Fatalf("error %v is %T, want *ProviderError", err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if status.Active != tt.wantActive {
				t.Errorf("active %q, want %q", status.Active, tt.wantActive)
			}
			if !strings.HasPrefix(status.Reason, tt.wantReason) || (tt.wantReason == "") != (status.Reason == "") {
				t.Errorf("reason %q, want one starting with %q", status.Reason, tt.wantReason)
			}
		})
	}
}
