package bench

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits maps a lower-cased unit suffix to its multiplier. Bare
// letters ("k", "m") are deliberately absent: whether "1M" means 10^6 or
// 2^20 is exactly the ambiguity that makes benchmark numbers
// incomparable, so the user has to say KiB or KB.
var sizeUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
	"tib": 1 << 40,
	"kb":  1e3,
	"mb":  1e6,
	"gb":  1e9,
	"tb":  1e12,
}

// ParseSize parses an object size such as "512", "4KiB", "10MB" or
// "1.5GiB". Binary (KiB, MiB, GiB, TiB) and decimal (KB, MB, GB, TB)
// units are accepted, case-insensitively; a plain number is bytes.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("invalid size %q: no number", s)
	}
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)", s, t[i:])
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid size %q: %w", s, err)
		}
		if n > math.MaxInt64/mult {
			return 0, fmt.Errorf("invalid size %q: too large", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %w", s, err)
	}
	v := f * float64(mult)
	// 2^62 keeps well clear of float64 -> int64 conversion edge cases;
	// nobody benchmarks 4 EiB objects.
	if v >= 1<<62 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	if v != math.Trunc(v) {
		return 0, fmt.Errorf("invalid size %q: not a whole number of bytes", s)
	}
	return int64(v), nil
}

// ParseSizes parses a comma-separated list of sizes ("4KiB, 1MiB,64MiB").
func ParseSizes(s string) ([]int64, error) {
	var out []int64
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			return nil, fmt.Errorf("invalid size list %q: empty element", s)
		}
		n, err := ParseSize(part)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// ParseConcurrency parses a comma-separated list of positive worker
// counts ("1,8,32").
func ParseConcurrency(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		p := strings.TrimSpace(part)
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("invalid concurrency %q: want a positive integer", p)
		}
		out = append(out, n)
	}
	return out, nil
}

// ParseOps parses a comma-separated list of operations. Only "put" and
// "get" exist; Run always runs PUT before GET whatever the order here.
func ParseOps(s string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(s, ",") {
		p := strings.ToLower(strings.TrimSpace(part))
		if p != OpPut && p != OpGet {
			return nil, fmt.Errorf("invalid op %q: want put or get", p)
		}
		out = append(out, p)
	}
	return out, nil
}

// FormatSize renders n in its shortest exact form, preferring binary
// units on ties (the usual way object sizes are chosen): 4096 is "4KiB",
// 10^7 is "10MB", 10^12 is "1TB" rather than "976562500KiB". It never
// rounds, so a label always identifies the exact size benchmarked.
func FormatSize(n int64) string {
	best := strconv.FormatInt(n, 10) + "B"
	if n <= 0 {
		return best
	}
	for _, u := range []struct {
		name string
		mult int64
	}{
		{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
		{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
	} {
		if n%u.mult == 0 {
			if s := strconv.FormatInt(n/u.mult, 10) + u.name; len(s) < len(best) {
				best = s
			}
		}
	}
	return best
}
