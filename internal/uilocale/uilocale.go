// Package uilocale overrides a C or POSIX locale for messages with
// en_US.UTF-8 in the environment before Fyne reads it.
//
// Fyne v2.7.1 parses the locale variables as a language tag, at start-up
// and whenever it looks up the system locale, and logs "Error parsing user
// locale C" for C, C.UTF-8 and POSIX. Those locales mean "no
// localisation" and the viewer's text is English, so the override only
// removes the error. It changes environment variables and calls no
// setlocale.
//
// Package main imports this package for its side effect. Go initialises
// packages in import-path order among those whose imports are ready. This
// one imports only the standard library, so it runs before Fyne's lang
// package, which waits for github.com/jeandeaual/go-locale.
package uilocale

import (
	"os"
	"strings"
)

// Replacement is the value given to the variable that held a C or POSIX
// locale.
const Replacement = "en_US.UTF-8"

func init() {
	Fix(os.Getenv, os.Setenv, os.Unsetenv)
}

// Fix acts when the first set variable of LC_ALL, LC_MESSAGES and LANG
// (the order of Fyne's lookup) names the C or POSIX locale. It then sets
// LC_MESSAGES to Replacement, or LC_ALL when that was the variable, and
// unsets LANGUAGE, which a C locale disables. It returns the name of the
// variable it set, or "" when it changed nothing.
func Fix(getenv func(string) string, setenv func(string, string) error, unsetenv func(string) error) string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		value := getenv(name)
		if value == "" {
			continue
		}
		if !isCLocale(value) {
			return ""
		}
		target := "LC_MESSAGES"
		if name == "LC_ALL" {
			target = "LC_ALL"
		}
		if setenv(target, Replacement) != nil {
			return ""
		}
		if getenv("LANGUAGE") != "" {
			_ = unsetenv("LANGUAGE") // if this fails, Fyne follows LANGUAGE
		}
		return target
	}
	return ""
}

// isCLocale reports whether value names the C or POSIX locale, with or
// without an encoding or modifier ("C.UTF-8", "POSIX@euro").
func isCLocale(value string) bool {
	lang, _, _ := strings.Cut(value, ".")
	lang, _, _ = strings.Cut(lang, "@")
	return lang == "C" || lang == "POSIX"
}
