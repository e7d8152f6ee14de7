//go:build onnx

package training

import (
	"context"
	"os"
	"testing"

	"github.com/downthere/downthere/models"
)

func TestLandsatSmall(t *testing.T) {
	cfg := tinyConfig(t, sharedDataDir(t))
	cfg.Setting = SettingLandsat
	cfg.PatchSize = 16
	cfg.BlockCells = 3
	cfg.TestFraction = 0.25
	cfg.GANEpochs = 2

	d, err := loadLandsat(cfg)
	if err != nil {
		t.Fatal(err)
	}
	count := func(s *imageSet, class int) int {
		n := 0
		for _, l := range s.Labels {
			if l == class {
				n++
			}
		}
		return n
	}
	t.Logf("cells: train %d (%d rural), test %d (%d rural); photos train %d, test %d",
		d.OverheadTrain.Len(), count(d.OverheadTrain, 1), d.OverheadTest.Len(), count(d.OverheadTest, 1), d.PhotosTrain.Len(), d.PhotosTest.Len())
	if d.OverheadTrain.Len()+d.OverheadTest.Len() < 100 {
		t.Errorf("%d labelled 500 m cells, want at least 100", d.OverheadTrain.Len()+d.OverheadTest.Len())
	}
	for _, name := range d.OverheadTest.Names {
		for _, other := range d.OverheadTrain.Names {
			if name == other {
				t.Fatalf("cell %s is in both splits", name)
			}
		}
	}

	res, err := Run(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	set, err := models.ReadSet(os.DirFS(res.ExportDir), ".")
	if err != nil {
		t.Fatal(err)
	}
	if r := set.Manifests[models.RoleEncoder].GroundResolutionM; r != 500.0/16 {
		t.Errorf("encoder ground resolution %g m, want %g", r, 500.0/16)
	}
}
