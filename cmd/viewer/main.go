// Command viewer is the Down There desktop application and its headless
// subcommands.
//
//	viewer [FILE]               open the viewer on FILE (default: the embedded Olinda scene)
//	viewer <subcommand> [flags] run a headless subcommand; "viewer help" lists them
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	// Before Fyne reads the locale: see the package comment.
	_ "github.com/downthere/downthere/internal/uilocale"
)

// command is one headless subcommand. run returns the process exit status.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is filled by the init functions of the files that implement
// each subcommand.
var commands = map[string]command{}

func registerCommand(name, summary string, run func(args []string, stdout, stderr io.Writer) int) {
	if _, dup := commands[name]; dup {
		panic("viewer: subcommand registered twice: " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs the subcommand named by args[0], or the GUI when args[0] is
// not a subcommand (a file to open, a flag, or nothing).
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "help", "-h", "-help", "--help":
			printUsage(stdout)
			if gui, ok := commands["gui"]; ok {
				fmt.Fprintln(stdout)
				gui.run([]string{"-h"}, stdout, stdout) // prints the viewer's own flags and returns
			}
			return 0
		}
		if cmd, ok := commands[args[0]]; ok {
			if asksForHelp(args[1:]) {
				return cmd.run(args[1:], stdout, stdout) // help requested: usage on stdout
			}
			return cmd.run(args[1:], stdout, stderr)
		}
	}
	gui, ok := commands["gui"]
	if !ok {
		fmt.Fprintln(stderr, "viewer: this build has no GUI; run \"viewer help\" for the headless subcommands")
		return 2
	}
	return gui.run(args, stdout, stderr)
}

// asksForHelp reports whether args hold -h, -help or --help before any "--".
func asksForHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: viewer [flags] [FILE]        open the viewer (default scene: Olinda, Brazil)")
	fmt.Fprintln(w, "       viewer <subcommand> [flags]  run a headless subcommand")
	fmt.Fprintln(w, "\nSubcommands:")
	var names []string
	for name := range commands {
		if name != "gui" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-8s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun \"viewer <subcommand> -h\" for its flags.")
	fmt.Fprintln(w, strings.TrimSpace(`
The ONNX Runtime library is found from --ort-lib, then $DOWNTHERE_ORT_LIB,
then next to the executable, then the project's .deps folder, then the
system library path.`))
}
