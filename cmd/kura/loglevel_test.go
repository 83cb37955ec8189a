package main

import (
	"log/slog"
	"testing"
)

func TestLogLevelFlag(t *testing.T) {
	for _, c := range []struct {
		in   string
		want slog.Level
		ok   bool
	}{
		{"debug", slog.LevelDebug, true},
		{"INFO", slog.LevelInfo, true},
		{"Warn", slog.LevelWarn, true},
		{"error", slog.LevelError, true},
		{"warning", 0, false},
		{"info+2", 0, false},
		{"", 0, false},
	} {
		var l slog.Level
		v := &logLevel{&l}
		err := v.Set(c.in)
		if (err == nil) != c.ok {
			t.Errorf("Set(%q) = %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if c.ok && (l != c.want || v.String() != map[slog.Level]string{slog.LevelDebug: "debug", slog.LevelInfo: "info",
			slog.LevelWarn: "warn", slog.LevelError: "error"}[c.want]) {
			t.Errorf("Set(%q): level %v, String %q", c.in, l, v.String())
		}
	}
	if got := (&logLevel{}).String(); got != "info" {
		t.Errorf("zero logLevel String = %q, want info", got)
	}
}
