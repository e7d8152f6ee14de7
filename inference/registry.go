package inference

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"runtime"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/downthere/downthere/models"
)

// Options configures how a Registry creates sessions.
type Options struct {
	ProviderOptions

	// MaxBatch is the largest batch run through a model exported with a
	// dynamic batch; 0 means 16. Models with a fixed batch always run at
	// their own size.
	MaxBatch int

	// Concurrency is the number of runs one model may have in flight, each
	// with its own preallocated tensors; 0 means GOMAXPROCS. More callers
	// wait for a free tensor set.
	Concurrency int
}

func (o Options) withDefaults() Options {
	if o.MaxBatch <= 0 {
		o.MaxBatch = 16
	}
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
	return o
}

// Registry loads model sets and holds the active one. Loading a set checks
// every manifest against its model file and creates the sessions; Swap
// replaces the active set while calls keep running on the set they
// started with, and closes the old set when its last call has ended.
type Registry struct {
	rt   *Runtime
	opts Options

	mu     sync.RWMutex
	active *ModelSet
	closed bool
}

// NewRegistry returns an empty registry that creates sessions in rt.
func NewRegistry(rt *Runtime, opts Options) *Registry {
	return &Registry{rt: rt, opts: opts.withDefaults()}
}

// ErrNoModelSet is returned by calls made before a set was activated.
var ErrNoModelSet = errors.New("no model set is loaded")

// SetInfo describes a model set found on disk or in the binary, before
// loading it.
type SetInfo struct {
	Spec   models.SetSpec
	FS     fs.FS
	Dir    string // folder of the set inside FS
	Source string // "embedded:<dir>" or the folder's path on disk
}

// ShippedSets lists the model sets embedded in the binary, sorted by
// folder. It reads only the set.json files.
func ShippedSets() ([]SetInfo, error) {
	dirs, err := models.ShippedSetDirs()
	if err != nil {
		return nil, err
	}
	infos := make([]SetInfo, 0, len(dirs))
	for _, dir := range dirs {
		spec, err := models.ReadSpec(models.Shipped, dir)
		if err != nil {
			return nil, err
		}
		infos = append(infos, SetInfo{Spec: spec, FS: models.Shipped, Dir: dir, Source: "embedded:" + dir})
	}
	return infos, nil
}

// ClosestShippedSet returns the shipped set trained for the ground
// resolution nearest to groundResolutionM (metres per pixel), nearest by
// ratio rather than by difference.
func ClosestShippedSet(groundResolutionM float64) (SetInfo, error) {
	infos, err := ShippedSets()
	if err != nil {
		return SetInfo{}, err
	}
	if len(infos) == 0 {
		return SetInfo{}, errors.New("this build has no shipped model set; run `make models` to train one, or load a model set folder with --models DIR")
	}
	best := infos[0]
	for _, info := range infos[1:] {
		if resolutionDistance(info.Spec.GroundResolutionM, groundResolutionM) < resolutionDistance(best.Spec.GroundResolutionM, groundResolutionM) {
			best = info
		}
	}
	return best, nil
}

// resolutionDistance compares two ground resolutions by their ratio, so
// that a 10 m scene is nearer a 31.25 m set (3.1 times coarser) than a
// 1.2 m set (8.3 times finer).
func resolutionDistance(a, b float64) float64 {
	return math.Abs(math.Log(a / b))
}

// FolderSet describes the model set in a folder on disk (the folder that
// holds set.json).
func FolderSet(dir string) (SetInfo, error) {
	fsys := os.DirFS(dir)
	spec, err := models.ReadSpec(fsys, ".")
	if err != nil {
		return SetInfo{}, fmt.Errorf("model set folder %s: %w", dir, err)
	}
	return SetInfo{Spec: spec, FS: fsys, Dir: ".", Source: dir}, nil
}

// Load reads, checks and opens the model set described by info without
// activating it. The checks, each failing with an error that names the
// file: the manifests and sha256 sums (package models), the tensor names
// and shapes each role needs and that the four models fit together, and
// each manifest against the inputs and outputs ONNX Runtime reports for
// its model file. The caller activates the set with Swap or closes it.
func (r *Registry) Load(ctx context.Context, info SetInfo) (*ModelSet, error) {
	set, err := models.ReadSet(info.FS, info.Dir)
	if err != nil {
		return nil, fmt.Errorf("load model set from %s: %w", info.Source, err)
	}
	for _, role := range models.Roles {
		if err := checkRole(r.manifestPath(info, set, role), set.Manifests[role]); err != nil {
			return nil, fmt.Errorf("load model set from %s: %w: %w", info.Source, models.ErrInvalid, err)
		}
	}
	if err := checkSet(set); err != nil {
		return nil, fmt.Errorf("load model set from %s: %w", info.Source, err)
	}

	data, err := r.readModels(ctx, info, set)
	if err != nil {
		return nil, err
	}
	ms := &ModelSet{info: info, set: set, refs: 1}
	if err := r.openSessions(ctx, ms, data); err != nil {
		return nil, err
	}
	return ms, nil
}

func (r *Registry) manifestPath(info SetInfo, set *models.Set, role models.Role) string {
	return path.Join(info.Dir, set.Spec.Models[role])
}

// readModels reads every model file and checks it against its manifest
// with the inputs and outputs ONNX Runtime reports.
func (r *Registry) readModels(ctx context.Context, info SetInfo, set *models.Set) (map[models.Role][]byte, error) {
	data := map[models.Role][]byte{}
	for _, role := range models.Roles {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		file := set.ModelPath(role)
		b, err := fs.ReadFile(info.FS, file)
		if err != nil {
			return nil, fmt.Errorf("load model set from %s: read model file %s: %w", info.Source, file, err)
		}
		inputs, outputs, err := ort.GetInputOutputInfoWithONNXData(b)
		if err != nil {
			return nil, fmt.Errorf("load model set from %s: model file %s cannot be opened by ONNX Runtime (damaged, truncated or not an ONNX model; re-export it): %w",
				info.Source, file, err)
		}
		if err := checkModel(file, r.manifestPath(info, set, role), set.Manifests[role], inputs, outputs); err != nil {
			return nil, fmt.Errorf("load model set from %s: %w", info.Source, err)
		}
		data[role] = b
	}
	return data, nil
}

// openSessions creates the four sessions on the first provider of the
// chain that starts, recording the provider status in ms.
func (r *Registry) openSessions(ctx context.Context, ms *ModelSet, data map[models.Role][]byte) error {
	status, err := startProviders(r.rt, r.opts.ProviderOptions, func(p Provider) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		sessions, err := r.tryProvider(ctx, ms, p, data)
		if err != nil {
			return err
		}
		ms.sessions = sessions
		return nil
	})
	var perr *ProviderError
	switch {
	case errors.As(err, &perr):
		return err
	case err != nil:
		return fmt.Errorf("load model set from %s: %w", ms.info.Source, err)
	}
	ms.status = status
	return nil
}

// tryProvider creates all sessions of a set on provider p, or none.
func (r *Registry) tryProvider(ctx context.Context, ms *ModelSet, p Provider, data map[models.Role][]byte) (map[models.Role]*session, error) {
	so, err := newSessionOptions(p, r.opts.ProviderOptions)
	if err != nil {
		return nil, err
	}
	defer so.Destroy()

	sessions := map[models.Role]*session{}
	for _, role := range models.Roles {
		if err := ctx.Err(); err != nil {
			closeSessions(sessions)
			return nil, err
		}
		m := ms.set.Manifests[role]
		output, _ := m.Output(contracts[role].output.name)
		s, err := newSession(ms.set.ModelPath(role), m, []models.Tensor{output}, data[role], so, r.opts.MaxBatch, r.opts.Concurrency)
		if err != nil {
			closeSessions(sessions)
			return nil, err
		}
		sessions[role] = s
	}
	return sessions, nil
}

func closeSessions(sessions map[models.Role]*session) error {
	var errs []error
	for _, s := range sessions {
		errs = append(errs, s.close())
	}
	return errors.Join(errs...)
}

// Swap makes ms the active set and closes the set it replaces once the
// calls running on it have ended. The registry takes over ms: close it
// through the registry (Swap again or Close), not directly.
func (r *Registry) Swap(ms *ModelSet) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return errors.New("swap model set: the registry is closed")
	}
	old := r.active
	r.active = ms
	r.mu.Unlock()

	if old != nil && old != ms {
		return old.Close()
	}
	return nil
}

// Active returns the active set, or nil. The set may be swapped out and
// closed at any time; use Acquire to run models on it.
func (r *Registry) Active() *ModelSet {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.active
}

// Acquire returns the active set with a reference held, so it stays open
// until release is called, even if it is swapped out meanwhile.
func (r *Registry) Acquire() (ms *ModelSet, release func(), err error) {
	r.mu.RLock()
	defer r.mu.RUnlock()

	if r.active == nil {
		return nil, nil, ErrNoModelSet
	}
	if err := r.active.acquire(); err != nil {
		return nil, nil, err
	}
	return r.active, r.active.release, nil
}

// Close closes the active set once its running calls have ended. Later
// calls to Swap fail. Calling Close again does nothing.
func (r *Registry) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	old := r.active
	r.active = nil
	r.mu.Unlock()

	if old != nil {
		return old.Close()
	}
	return nil
}

// ModelSet is a loaded model set: the four sessions and their manifests.
// Its methods (see engine.go) may be called from many goroutines. It is
// reference counted: Close releases the owner's reference, and the
// sessions are destroyed when the last running call has ended.
type ModelSet struct {
	info     SetInfo
	set      *models.Set
	status   ProviderStatus
	sessions map[models.Role]*session

	mu          sync.Mutex
	refs        int
	ownerClosed bool
}

// Name returns the set's name from its set.json.
func (s *ModelSet) Name() string { return s.set.Spec.Name }

// Spec returns the set's set.json content.
func (s *ModelSet) Spec() models.SetSpec { return s.set.Spec }

// Source returns where the set was loaded from: "embedded:<dir>" or a
// folder path.
func (s *ModelSet) Source() string { return s.info.Source }

// Manifest returns the manifest of the model for role.
func (s *ModelSet) Manifest(role models.Role) *models.Manifest { return s.set.Manifests[role] }

// Provider returns the execution provider the set's models run on.
func (s *ModelSet) Provider() ProviderStatus { return s.status }

// Classes returns the classifier's classes, in the order of its outputs.
func (s *ModelSet) Classes() []models.Class { return s.Manifest(models.RoleClassifier).Classes }

// PatchSize returns the edge in pixels of the overhead patch the encoder
// takes.
func (s *ModelSet) PatchSize() int { return s.Manifest(models.RoleEncoder).PatchSize }

// ConditionSize returns the length of a condition vector.
func (s *ModelSet) ConditionSize() int {
	return int(itemShape(s.Manifest(models.RoleEncoder).Outputs, tensorCondition)[0])
}

// NoiseSize returns the length of the generator's noise vector.
func (s *ModelSet) NoiseSize() int {
	return int(itemShape(s.Manifest(models.RoleGenerator).Inputs, tensorNoise)[0])
}

// ImageShape returns the channels, height and width of a generated view.
func (s *ModelSet) ImageShape() (channels, height, width int) {
	shape := itemShape(s.Manifest(models.RoleGenerator).Outputs, tensorImage)
	return int(shape[0]), int(shape[1]), int(shape[2])
}

// FeatureSize returns the length of a discriminator feature vector.
func (s *ModelSet) FeatureSize() int {
	return int(itemShape(s.Manifest(models.RoleClassifier).Inputs, tensorFeatures)[0])
}

// BatchSize returns the batch the engine runs the role's model at: its
// fixed export batch, or Options.MaxBatch for a dynamic batch.
func (s *ModelSet) BatchSize(role models.Role) int { return s.sessions[role].batchSize() }

func (s *ModelSet) acquire() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == 0 {
		return fmt.Errorf("model set %s: %w", s.Name(), errClosed)
	}
	s.refs++
	return nil
}

func (s *ModelSet) release() {
	s.mu.Lock()
	s.refs--
	last := s.refs == 0
	s.mu.Unlock()
	if last {
		closeSessions(s.sessions)
	}
}

// Close releases the owner's reference; the sessions are destroyed now, or
// when the last running call ends. Calling Close again does nothing. The
// returned error is that of destroying the sessions when it happens now.
func (s *ModelSet) Close() error {
	s.mu.Lock()
	if s.ownerClosed {
		s.mu.Unlock()
		return nil
	}
	s.ownerClosed = true
	s.refs--
	last := s.refs == 0
	s.mu.Unlock()

	if last {
		return closeSessions(s.sessions)
	}
	return nil
}
