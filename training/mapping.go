package training

import "fmt"

// Ground classes: the scene classes of the ground-level photos that the
// generator learns, each gathered from the Intel scenes and the Flickr
// landscapes folders named here.
var GroundClasses = []GroundClass{
	{Name: "buildings", Intel: []string{"buildings"}, Flickr: []string{"city"}},
	{Name: "street", Intel: []string{"street"}},
	{Name: "road", Flickr: []string{"road"}},
	{Name: "field", Flickr: []string{"field"}},
	{Name: "forest", Intel: []string{"forest"}, Flickr: []string{"forest"}},
	{Name: "water", Intel: []string{"sea"}, Flickr: []string{"lake", "ocean"}},
	{Name: "mountain", Intel: []string{"mountain"}, Flickr: []string{"mountain"}},
}

// GroundClass is one class of ground photos and the folders it is read
// from (intel_scenes/{train,test}/<Intel> and flickr_landscapes/<Flickr>).
type GroundClass struct {
	Name   string
	Intel  []string
	Flickr []string
}

// OverheadClass is one UC Merced land-use class with the ground class its
// patches are paired with and its urban or rural label.
type OverheadClass struct {
	Name   string
	Ground string
	Urban  bool
}

// UCMercedClasses maps the 21 UC Merced classes, in the dataset's
// alphabetical order, to ground classes and to urban or rural. Pairing by
// class is weaker than geographic co-location: a patch and a photo share a
// kind of place, not a place.
//
// The choices: fields and sports grounds show grass (field); beaches,
// rivers and harbours show water; residential areas, buildings, mobile
// homes and storage tanks show buildings, and so do tennis courts, which in
// UC Merced sit between houses; paved transport areas show streets, except
// sparse residential areas, whose ground view is closer to the Flickr
// "road" photos (mostly roads through open country); chaparral (shrubland
// on hills) shows mountain slopes. Urban means built-up or paved; rural
// covers farmland, natural cover, golf courses, beaches and rivers.
var UCMercedClasses = []OverheadClass{
	{"agricultural", "field", false},
	{"airplane", "street", true},
	{"baseballdiamond", "field", true},
	{"beach", "water", false},
	{"buildings", "buildings", true},
	{"chaparral", "mountain", false},
	{"denseresidential", "buildings", true},
	{"forest", "forest", false},
	{"freeway", "street", true},
	{"golfcourse", "field", false},
	{"harbor", "water", true},
	{"intersection", "street", true},
	{"mediumresidential", "buildings", true},
	{"mobilehomepark", "buildings", true},
	{"overpass", "street", true},
	{"parkinglot", "street", true},
	{"river", "water", false},
	{"runway", "street", true},
	{"sparseresidential", "road", true},
	{"storagetanks", "buildings", true},
	{"tenniscourt", "buildings", true},
}

// LandUseClasses are the classifier's output classes, in output order,
// with their overlay colours.
var LandUseClasses = []struct{ Name, Color string }{
	{"urban", "#d7301f"},
	{"rural", "#1a9850"},
}

// groundIndex returns the index of the named ground class.
func groundIndex(name string) (int, error) {
	for i, g := range GroundClasses {
		if g.Name == name {
			return i, nil
		}
	}
	return -1, fmt.Errorf("unknown ground class %q", name)
}

// landUseLabel returns 0 for urban and 1 for rural, the index into
// LandUseClasses.
func landUseLabel(urban bool) int {
	if urban {
		return 0
	}
	return 1
}
