// Package uilocale replaces a C or POSIX locale in the environment with
// en_US.UTF-8 before Fyne reads it.
//
// Fyne v2.7.1 parses the locale variables as a language tag, at start-up
// and whenever it looks up the system locale, and logs "Error parsing user
// locale C" for C, C.UTF-8 and POSIX. Those locales mean "no
// localisation" and the viewer's text is English, so the replacement only
// removes the error. Only the process environment changes; no C library
// locale is set.
//
// Package main imports this package for its side effect. Go initialises
// packages in import-path order among those whose imports are ready; this
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
	Fix(os.Getenv, os.Setenv)
}

// Fix replaces the first set variable of LC_ALL, LC_MESSAGES and LANG (the
// order of Fyne's lookup) when it names the C or POSIX locale. It returns
// the name of the variable it changed, or "" when it changed nothing.
func Fix(getenv func(string) string, setenv func(string, string) error) string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		value := getenv(name)
		if value == "" {
			continue
		}
		if !isCLocale(value) {
			return ""
		}
		if setenv(name, Replacement) != nil {
			return ""
		}
		return name
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
