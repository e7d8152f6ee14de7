package ui

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestViewRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		view View
		x, y float64
	}{
		{"centre", View{Center: MapPoint{100, 200}, Scale: 2, Width: 400, Height: 300}, 200, 150},
		{"top-left corner", View{Center: MapPoint{100, 200}, Scale: 2, Width: 400, Height: 300}, 0, 0},
		{"odd size", View{Center: MapPoint{-5.5, 7.25}, Scale: 0.001, Width: 333, Height: 101}, 17.5, 99},
		{"utm metres", View{Center: MapPoint{293749.5, 9115744.75}, Scale: 28.5, Width: 800, Height: 600}, 799, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.view.ToMap(tc.x, tc.y)
			x, y := tc.view.ToScreen(p)
			t.Logf("screen (%v,%v) -> map %+v -> screen (%v,%v)", tc.x, tc.y, p, x, y)
			if !near(x, tc.x, 1e-6) {
				t.Errorf("x = %v, want %v", x, tc.x)
			}
			if !near(y, tc.y, 1e-6) {
				t.Errorf("y = %v, want %v", y, tc.y)
			}
		})
	}
}

func TestViewToMapOrientation(t *testing.T) {
	v := View{Center: MapPoint{0, 0}, Scale: 1, Width: 100, Height: 100}
	topLeft := v.ToMap(0, 0)
	if topLeft.X >= 0 || topLeft.Y <= 0 {
		t.Errorf("top-left of a north-up view maps to %+v, want west (x<0) and north (y>0)", topLeft)
	}
	ext := v.Extent()
	want := MapRect{MinX: -50, MinY: -50, MaxX: 50, MaxY: 50}
	if ext != want {
		t.Errorf("Extent() = %+v, want %+v", ext, want)
	}
}

func TestViewZoomAtKeepsAnchor(t *testing.T) {
	tests := []struct {
		name   string
		factor float64
		x, y   float64
	}{
		{"zoom in at corner", 2, 10, 20},
		{"zoom out at centre", 0.5, 200, 150},
		{"wheel notch", math.Exp2(0.25), 333, 7},
		{"trackpad nudge", math.Exp2(0.013), 50, 250},
	}
	base := View{Center: MapPoint{293749.5, 9115744.75}, Scale: 28.5, Width: 400, Height: 300}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := base.ToMap(tc.x, tc.y)
			z := base.ZoomAt(tc.factor, tc.x, tc.y)
			after := z.ToMap(tc.x, tc.y)
			if !near(before.X, after.X, 1e-6) || !near(before.Y, after.Y, 1e-6) {
				t.Errorf("anchor moved from %+v to %+v", before, after)
			}
			if !near(z.Scale, base.Scale/tc.factor, 1e-9) {
				t.Errorf("scale = %v, want %v", z.Scale, base.Scale/tc.factor)
			}
		})
	}
}

func TestViewZoomAtRejectsBadFactor(t *testing.T) {
	v := View{Center: MapPoint{1, 2}, Scale: 3, Width: 10, Height: 10}
	for _, f := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if got := v.ZoomAt(f, 5, 5); got != v {
			t.Errorf("ZoomAt(%v) changed the view to %+v", f, got)
		}
	}
}

func TestViewPanFollowsPointer(t *testing.T) {
	v := View{Center: MapPoint{0, 0}, Scale: 2, Width: 100, Height: 100}
	grabbed := v.ToMap(30, 40)
	p := v.Pan(15, -8)
	x, y := p.ToScreen(grabbed)
	if !near(x, 45, 1e-9) || !near(y, 32, 1e-9) {
		t.Errorf("grabbed point is at (%v,%v) after panning by (15,-8), want (45,32)", x, y)
	}
}

func TestFitViewShowsExtent(t *testing.T) {
	tests := []struct {
		name string
		ext  MapRect
		w, h int
	}{
		{"wide window", MapRect{288776.25, 9110728.75, 298722.75, 9120760.75}, 1200, 600},
		{"tall window", MapRect{288776.25, 9110728.75, 298722.75, 9120760.75}, 300, 900},
		{"degrees", MapRect{-34.92, -8.05, -34.82, -7.95}, 640, 480},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := FitView(tc.ext, tc.w, tc.h)
			got := v.Extent()
			if got.MinX > tc.ext.MinX || got.MaxX < tc.ext.MaxX || got.MinY > tc.ext.MinY || got.MaxY < tc.ext.MaxY {
				t.Errorf("view extent %+v does not contain %+v", got, tc.ext)
			}
			slack := math.Min(got.Width()/tc.ext.Width(), got.Height()/tc.ext.Height())
			if slack > 1.03 {
				t.Errorf("the tighter side has %.3fx the extent, want at most 1.03x", slack)
			}
		})
	}
}

func TestScreenRectOfFrameAfterPan(t *testing.T) {
	frameView := View{Center: MapPoint{0, 0}, Scale: 1, Width: 100, Height: 80}
	cur := frameView.Pan(12, -5)
	r := screenRectOf(cur, frameView.Extent())
	if !near(r.X, 12, 1e-9) || !near(r.Y, -5, 1e-9) || !near(r.W, 100, 1e-9) || !near(r.H, 80, 1e-9) {
		t.Errorf("frame lands at %+v, want shifted by (12,-5) at the same size", r)
	}
	zoomed := frameView.ZoomAt(2, 0, 0)
	r = screenRectOf(zoomed, frameView.Extent())
	if !near(r.X, 0, 1e-9) || !near(r.Y, 0, 1e-9) || !near(r.W, 200, 1e-9) || !near(r.H, 160, 1e-9) {
		t.Errorf("frame lands at %+v after zooming 2x at the corner, want (0,0) 200x160", r)
	}
}

func TestClampCenterKeepsSceneInReach(t *testing.T) {
	ext := MapRect{MinX: 0, MinY: 0, MaxX: 10, MaxY: 10}
	if got := clampCenter(MapPoint{-5, 20}, ext); got != (MapPoint{0, 10}) {
		t.Errorf("clampCenter = %+v, want {0 10}", got)
	}
	if got := clampCenter(MapPoint{3, 4}, ext); got != (MapPoint{3, 4}) {
		t.Errorf("clampCenter moved an inside point to %+v", got)
	}
}
