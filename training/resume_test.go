//go:build onnx

package training

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

const childConfigEnv = "DOWNTHERE_TRAINING_CHILD_CONFIG"

// TestTrainChildProcess is the child of TestKillAndResume: it trains with
// the config named by the environment and is killed part-way.
func TestTrainChildProcess(t *testing.T) {
	path := os.Getenv(childConfigEnv)
	if path == "" {
		t.Skip("runs only as the child process of TestKillAndResume")
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestKillAndResume(t *testing.T) {
	cfg := tinyConfig(t, sharedDataDir(t))
	cfg.GANEpochs = 500 // far more than the child can finish before it is killed
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, data, 0o644); err != nil {
		t.Fatal(err)
	}

	child := exec.Command(os.Args[0], "-test.run=^TestTrainChildProcess$")
	child.Env = append(os.Environ(), childConfigEnv+"="+cfgPath)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	killedAt := waitForGANSteps(t, checkpointPath(cfg.RunDir), 4, 90*time.Second)
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()

	ck, err := readCheckpoint(checkpointPath(cfg.RunDir))
	if err != nil {
		t.Fatalf("checkpoint unreadable after SIGKILL: %v", err)
	}
	t.Logf("checkpoint seen at GAN step %d, after the kill at step %d", killedAt, ck.State.GANSteps)

	cfg.MaxSteps = 3
	var first int
	opts := Options{Progress: func(ev Event) {
		if ev.Phase == PhaseGAN && ev.Losses != nil && first == 0 {
			first = ev.Step
		}
	}}
	res, err := Run(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if first != ck.State.GANSteps+1 {
		t.Errorf("resumed at GAN step %d, want %d (one after the checkpoint)", first, ck.State.GANSteps+1)
	}
	if res.GANSteps != ck.State.GANSteps+3 {
		t.Errorf("finished at GAN step %d, want %d", res.GANSteps, ck.State.GANSteps+3)
	}
}

// waitForGANSteps polls the checkpoint until it records at least n GAN
// steps and returns that count.
func waitForGANSteps(t *testing.T, path string, n int, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ck, err := readCheckpoint(path)
		if err == nil && ck.State.GANSteps >= n {
			return ck.State.GANSteps
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("read checkpoint while the child trains: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no checkpoint with %d GAN steps after %v", n, timeout)
	return 0
}

func TestRunDeterministic(t *testing.T) {
	dataDir := sharedDataDir(t)
	var logs [2][]byte
	for i := range logs {
		cfg := tinyConfig(t, dataDir)
		cfg.GANEpochs = 2
		if _, err := Run(context.Background(), cfg, Options{}); err != nil {
			t.Fatal(err)
		}
		var err error
		if logs[i], err = os.ReadFile(filepath.Join(cfg.RunDir, "gan-losses.csv")); err != nil {
			t.Fatal(err)
		}
	}
	if string(logs[0]) != string(logs[1]) {
		t.Errorf("two runs with seed 1 differ:\n%s\n---\n%s", logs[0], logs[1])
	}
}

func TestPauseAndCancel(t *testing.T) {
	cfg := tinyConfig(t, sharedDataDir(t))
	cfg.GANEpochs = 500
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pauser := &Pauser{}
	var pausedAt, resumedAt int
	opts := Options{Pause: pauser, Progress: func(ev Event) {
		if ev.Phase != PhaseGAN || ev.Losses == nil {
			return
		}
		switch {
		case ev.Step == 2:
			pausedAt = ev.Step
			pauser.Pause()
			time.AfterFunc(200*time.Millisecond, pauser.Resume)
		case ev.Step == 3:
			resumedAt = ev.Step
		case ev.Step == 5:
			cancel()
		}
	}}
	start := time.Now()
	_, err := Run(ctx, cfg, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	if pausedAt != 2 || resumedAt != 3 {
		t.Errorf("paused at %d and resumed at %d, want 2 and 3", pausedAt, resumedAt)
	}
	if time.Since(start) < 200*time.Millisecond {
		t.Errorf("run took %v, less than the 200 ms pause", time.Since(start))
	}
	ck, err := readCheckpoint(checkpointPath(cfg.RunDir))
	if err != nil {
		t.Fatal(err)
	}
	if ck.State.GANSteps != 5 {
		t.Errorf("checkpoint after cancel holds GAN step %d, want 5", ck.State.GANSteps)
	}
}
