package bench

import (
	"slices"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"512":     512,
		"0":       0,
		"512B":    512,
		"4KiB":    4 << 10,
		"4kib":    4 << 10,
		" 1MiB ":  1 << 20,
		"64MiB":   64 << 20,
		"1GiB":    1 << 30,
		"2TiB":    2 << 40,
		"10MB":    10_000_000,
		"10 MB":   10_000_000,
		"1KB":     1000,
		"3GB":     3_000_000_000,
		"1TB":     1_000_000_000_000,
		"1.5MiB":  3 << 19,
		"0.5KB":   500,
		"2.25GiB": 9 << 28,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "KiB", "4K", "1M", "4 XB", "-1", "1.2.3MiB", "0.3B", "1.0000001KiB", "9999999999TiB", "99999999999999999999"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseSizes(t *testing.T) {
	got, err := ParseSizes("4KiB, 1MiB, 64MiB, 1GiB, 512, 10MB")
	want := []int64{4 << 10, 1 << 20, 64 << 20, 1 << 30, 512, 10_000_000}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseSizes = %v, %v; want %v", got, err, want)
	}
	for _, in := range []string{"", "4KiB,", "4KiB,,1MiB", "4KiB,bogus"} {
		if _, err := ParseSizes(in); err == nil {
			t.Errorf("ParseSizes(%q) succeeded", in)
		}
	}
}

func TestParseConcurrencyAndOps(t *testing.T) {
	if got, err := ParseConcurrency("1, 8,32"); err != nil || !slices.Equal(got, []int{1, 8, 32}) {
		t.Errorf("ParseConcurrency = %v, %v", got, err)
	}
	for _, in := range []string{"", "0", "-1", "1,x", "1.5"} {
		if _, err := ParseConcurrency(in); err == nil {
			t.Errorf("ParseConcurrency(%q) succeeded", in)
		}
	}
	if got, err := ParseOps("PUT, get"); err != nil || !slices.Equal(got, []string{OpPut, OpGet}) {
		t.Errorf("ParseOps = %v, %v", got, err)
	}
	if _, err := ParseOps("put,delete"); err == nil {
		t.Error("ParseOps accepted delete")
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0:                 "0B",
		1:                 "1B",
		512:               "512B",
		1000:              "1KB",
		1024:              "1KiB",
		4096:              "4KiB",
		1536:              "1536B",
		1 << 20:           "1MiB",
		3 << 19:           "1536KiB",
		64 << 20:          "64MiB",
		1 << 30:           "1GiB",
		10_000_000:        "10MB",
		1_000_000_000_000: "1TB",
		1 << 40:           "1TiB",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
	// Round trip: every label parses back to the same size.
	for _, n := range []int64{0, 7, 1000, 1024, 1536, 3 << 19, 10_000_000, 1 << 33, 123456789} {
		if got, err := ParseSize(FormatSize(n)); err != nil || got != n {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", n, got, err)
		}
	}
}
