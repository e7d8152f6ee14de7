package inference

import (
	"fmt"
	"strings"
	"testing"
)

func FuzzParseVersion(f *testing.F) {
	f.Add(RequiredVersion)
	f.Add("1.16.3")
	f.Add("1.29.0-dev+abc")
	f.Add("1.29")
	f.Add("01.029.0000")
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseVersion(s)
		if !ok {
			return
		}
		if compareVersions(v, v) != 0 {
			t.Errorf("compareVersions(%v, %v) != 0", v, v)
		}
		for _, n := range v {
			if n < 0 {
				t.Errorf("parseVersion(%q) = %v has a negative component", s, v)
			}
		}
		if strings.Count(s, ".") < 2 {
			t.Errorf("parseVersion(%q) = %v from fewer than three parts", s, v)
		}
		if back, ok := parseVersion(fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2])); !ok || back != v {
			t.Errorf("parseVersion(%q) = %v, which does not parse back (%v, %v)", s, v, back, ok)
		}
	})
}
