// Package uilocale replaces a C or POSIX locale in the environment with
// en_US.UTF-8 before Fyne reads it.
//
// Fyne v2.7.1 parses the locale variables as a language tag when its lang
// package initialises and whenever it looks up the system locale. "C" (and
// "C.UTF-8", "POSIX") is not a language tag, so every run under such a
// locale logs "Fyne error: Error parsing user locale C". Those locales
// mean "no localisation", and the viewer's text is English, so the
// replacement changes nothing the user sees except the missing error.
//
// Import this package for its side effect from package main, before any
// package that imports Fyne. Go initialises packages in import-path order
// among those whose imports are ready, and this one imports only the
// standard library, so it runs before Fyne's lang package, which waits for
// github.com/jeandeaual/go-locale. Only the process's own environment
// changes; no C library locale is set.
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

// Fix looks at LC_ALL, LC_MESSAGES and LANG in that order, the order in
// which Fyne's locale lookup reads them, and replaces the first one that is
// set when it names the C or POSIX locale. It returns the variable it
// changed, or "" when it changed nothing.
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
