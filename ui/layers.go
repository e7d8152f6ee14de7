package ui

// LayerID names one of the map's layers. The layers are drawn in this
// order, imagery at the bottom.
type LayerID int

// The map's layers.
const (
	LayerImagery LayerID = iota
	LayerLandUse
	LayerConfidence
	LayerLabels
	LayerGrid
	LayerPhotos
	layerCount
)

// layerNames are the display names, which project files also use as keys.
var layerNames = [layerCount]string{
	LayerImagery:    "Imagery",
	LayerLandUse:    "Land use",
	LayerConfidence: "Confidence",
	LayerLabels:     "Labels",
	LayerGrid:       "Grid",
	LayerPhotos:     "Ground photos",
}

// String returns the layer's display name.
func (id LayerID) String() string {
	if id < 0 || id >= layerCount {
		return "unknown layer"
	}
	return layerNames[id]
}

// LayerStyle is how a layer is drawn.
type LayerStyle struct {
	Visible bool
	Opacity float64 // 0 (invisible) to 1 (opaque)
}

// layerStyles holds the style of every layer.
type layerStyles [layerCount]LayerStyle

// defaultStyles shows imagery, land use and grid; confidence and labels
// start hidden because they cover the land-use layer.
func defaultStyles() layerStyles {
	return layerStyles{
		LayerImagery:    {Visible: true, Opacity: 1},
		LayerLandUse:    {Visible: true, Opacity: 0.6},
		LayerConfidence: {Visible: false, Opacity: 0.6},
		LayerLabels:     {Visible: false, Opacity: 0.5},
		LayerGrid:       {Visible: true, Opacity: 0.5},
		LayerPhotos:     {Visible: true, Opacity: 1},
	}
}

// clampOpacity keeps an opacity in [0, 1].
func clampOpacity(o float64) float64 {
	if o < 0 || o != o {
		return 0
	}
	if o > 1 {
		return 1
	}
	return o
}
