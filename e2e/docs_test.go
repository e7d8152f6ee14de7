package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The generated part of docs/failure-behaviour.md sits between these
// lines.
const (
	tableBegin = "<!-- BEGIN generated case table: go test ./e2e/ -run TestCaseTableInDocs -update-doc -->"
	tableEnd   = "<!-- END generated case table -->"
)

// TestCaseTableInDocs checks that docs/failure-behaviour.md lists every
// case of badInputs and photoCases as they are. The -update-doc flag
// rewrites the table.
func TestCaseTableInDocs(t *testing.T) {
	path := filepath.Join(suite.root, "docs", "failure-behaviour.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	begin, end := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	if begin < 0 || end < begin {
		t.Fatalf("%s has no %q ... %q block", path, tableBegin, tableEnd)
	}
	want := tableBegin + "\n" + caseTable() + tableEnd
	got := doc[begin : end+len(tableEnd)]
	if got == want {
		return
	}
	if *updateDoc {
		doc = doc[:begin] + want + doc[end+len(tableEnd):]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the case table of %s", path)
		return
	}
	t.Errorf("the case table of %s differs from the cases in package e2e; run `go test ./e2e/ -run TestCaseTableInDocs -update-doc`", path)
}

// caseTable renders the cases as Markdown tables.
func caseTable() string {
	var b strings.Builder
	b.WriteString("\n### Headless subcommands\n\n")
	b.WriteString("`{bad}` is `testdata/bad`, `{scene}` its valid scene `raster/scene.tif`, `{testset}` the valid model set " +
		"`inference/testdata/testset` and `{dir}` a fresh folder per case. Every case also fails on a panic, a Go " +
		"fatal error, a signal, a raw GDAL `ERROR n:`/`Warning n:` line, or a run longer than " +
		fmt.Sprint(caseTimeout) + ".\n\n")
	b.WriteString("| case | command | broken input | exit | stderr contains | known failure |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, bc := range badInputs {
		fmt.Fprintf(&b, "| %s | `viewer %s %s` | %s | %d | %s | %s |\n", bc.name, bc.command, strings.Join(bc.args, " "),
			cell(bc.input), bc.status, quoteAll(bc.stderr), cell(bc.docNotes()))
	}

	b.WriteString("\n### Ground photos (geodata.ReadPhotos and geodata.IndexPhotos)\n\n")
	b.WriteString("| case | file under `testdata/bad/photos` | broken input | outcome | known failure |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, pc := range photoCases {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", pc.name, pc.path, cell(pc.input), cell(pc.outcome()), cell(pc.knownBug))
	}
	b.WriteString("\n")
	return b.String()
}

// docNotes is the known failure, and the other expectations that the
// stderr column does not show.
func (bc badInput) docNotes() string {
	var notes []string
	if len(bc.stdout) > 0 {
		notes = append(notes, "stdout contains "+quoteAll(bc.stdout))
	}
	if len(bc.absent) > 0 {
		notes = append(notes, "no file "+strings.Join(bc.absent, ", ")+" afterwards")
	}
	if bc.quiet {
		notes = append(notes, "stderr empty")
	}
	if bc.maxStderr > 0 {
		notes = append(notes, fmt.Sprintf("stderr under %d bytes", bc.maxStderr))
	}
	if bc.knownBug != "" {
		notes = append(notes, "**fails today:** "+bc.knownBug)
	}
	return strings.Join(notes, "; ")
}

// outcome describes the expected error or the expected placement.
func (pc photoCase) outcome() string {
	if len(pc.err) > 0 {
		return "error naming the file and " + quoteAll(pc.err)
	}
	ids := make([]string, 0, len(pc.unplaced))
	for id := range pc.unplaced {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parts := []string{"placed: " + strings.Join(pc.placed, ", ")}
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf("%s unplaced with %q", id, pc.unplaced[id]))
	}
	return strings.Join(parts, "; ")
}

// quoteAll quotes each substring, writing the alternatives of "a|b" as
// "a" or "b".
func quoteAll(subs []string) string {
	var parts []string
	for _, s := range subs {
		alts := strings.Split(s, "|")
		for i, a := range alts {
			alts[i] = fmt.Sprintf("%q", a)
		}
		parts = append(parts, strings.Join(alts, " or "))
	}
	return cell(strings.Join(parts, ", "))
}

// cell escapes the characters that end a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
