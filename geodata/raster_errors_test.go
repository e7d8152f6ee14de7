package geodata

import (
	"strings"
	"testing"
)

func TestShortenGDALMessage(t *testing.T) {
	long := "CREATE TABLE gpkg_spatial_ref_sys (" + strings.Repeat("srs_name TEXT NOT NULL,", 200) + ")"
	tests := []struct {
		name, msg, want string
	}{
		{name: "no SQL", msg: "database or disk is full", want: "database or disk is full"},
		{name: "short SQL kept", msg: "sqlite3_exec(PRAGMA x) failed: disk I/O error", want: "sqlite3_exec(PRAGMA x) failed: disk I/O error"},
		{name: "long SQL cut", msg: "sqlite3_exec(" + long + ") failed: database or disk is full",
			want: "sqlite3_exec(" + long[:maxQuotedSQL] + "... (4636 bytes of SQL)) failed: database or disk is full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shortenGDALMessage(tt.msg); got != tt.want {
				t.Errorf("shortenGDALMessage(%.40q...) = %q, want %q", tt.msg, got, tt.want)
			}
		})
	}
}
