package uilocale

import "testing"

func TestFix(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		changed string
		want    map[string]string
	}{
		{"C.UTF-8 in LANG", map[string]string{"LANG": "C.UTF-8"}, "LC_MESSAGES",
			map[string]string{"LANG": "C.UTF-8", "LC_MESSAGES": Replacement}},
		{"C in LC_ALL wins over LANG", map[string]string{"LC_ALL": "C", "LANG": "de_DE.UTF-8"}, "LC_ALL",
			map[string]string{"LC_ALL": Replacement, "LANG": "de_DE.UTF-8"}},
		{"POSIX in LC_MESSAGES", map[string]string{"LC_MESSAGES": "POSIX"}, "LC_MESSAGES",
			map[string]string{"LC_MESSAGES": Replacement}},
		{"C with a modifier", map[string]string{"LANG": "C@euro"}, "LC_MESSAGES",
			map[string]string{"LC_MESSAGES": Replacement}},
		{"LANGUAGE dropped with C", map[string]string{"LC_ALL": "C.UTF-8", "LANGUAGE": "de"}, "LC_ALL",
			map[string]string{"LC_ALL": Replacement, "LANGUAGE": ""}},
		{"a real locale first stays", map[string]string{"LC_ALL": "fr_FR.UTF-8", "LANG": "C", "LANGUAGE": "fr"}, "",
			map[string]string{"LC_ALL": "fr_FR.UTF-8", "LANG": "C", "LANGUAGE": "fr"}},
		{"nothing set", map[string]string{}, "", map[string]string{"LC_MESSAGES": ""}},
		{"a language named like C is not C", map[string]string{"LANG": "ca_ES.UTF-8"}, "",
			map[string]string{"LANG": "ca_ES.UTF-8", "LC_MESSAGES": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			got := Fix(func(k string) string { return env[k] },
				func(k, v string) error { env[k] = v; return nil },
				func(k string) error { delete(env, k); return nil })
			if got != tt.changed {
				t.Errorf("changed %q, want %q", got, tt.changed)
			}
			for k, v := range tt.want {
				if env[k] != v {
					t.Errorf("%s = %q, want %q", k, env[k], v)
				}
			}
		})
	}
}
