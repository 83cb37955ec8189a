package lifecycle

import (
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

func TestDueAfterRoundsUpToMidnight(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from     string
		days     int
		day      time.Duration
		want     string
		wantNone bool
	}{
		{"mid-morning, one day", "2020-01-01T10:30:00Z", 1, Day, "2020-01-03T00:00:00Z", false},
		{"at midnight stays", "2020-01-01T00:00:00Z", 1, Day, "2020-01-02T00:00:00Z", false},
		{"one ns past midnight", "2020-01-01T00:00:00.000000001Z", 1, Day, "2020-01-03T00:00:00Z", false},
		{"across the year", "2020-12-31T23:59:59.999Z", 1, Day, "2021-01-02T00:00:00Z", false},
		{"leap day", "2024-02-28T12:00:00Z", 1, Day, "2024-03-01T00:00:00Z", false},
		{"zero days: next midnight", "2020-01-01T10:30:00Z", 0, Day, "2020-01-02T00:00:00Z", false},
		{"thirty days", "2020-01-15T08:00:00Z", 30, Day, "2020-02-15T00:00:00Z", false},
		{"short day", "1970-01-01T00:00:05.3Z", 1, 2 * time.Second, "1970-01-01T00:00:08Z", false},
		{"short day on a boundary", "1970-01-01T00:00:06Z", 2, 2 * time.Second, "1970-01-01T00:00:10Z", false},
		{"beyond any clock", "2020-01-01T00:00:00Z", 1 << 30, Day, "", true},
		{"negative", "2020-01-01T00:00:00Z", -1, Day, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := DueAfter(date(tc.from), tc.days, tc.day)
			if tc.wantNone {
				if ok {
					t.Fatalf("DueAfter = %v, want never", got)
				}
				return
			}
			if !ok || !got.Equal(date(tc.want)) {
				t.Fatalf("DueAfter(%s, %d) = %v, %v; want %s", tc.from, tc.days, got, ok, tc.want)
			}
		})
	}
}

func TestMidnight(t *testing.T) {
	for _, tc := range []struct {
		at   string
		day  time.Duration
		want string
	}{
		{"2020-05-05T23:59:59Z", Day, "2020-05-05T00:00:00Z"},
		{"2020-05-05T00:00:00Z", Day, "2020-05-05T00:00:00Z"},
		{"1970-01-01T00:00:07.9Z", 2 * time.Second, "1970-01-01T00:00:06Z"},
		{"1969-12-31T23:59:59Z", Day, "1969-12-31T00:00:00Z"},
	} {
		if got := Midnight(date(tc.at), tc.day); !got.Equal(date(tc.want)) {
			t.Errorf("Midnight(%s, %v) = %v, want %s", tc.at, tc.day, got, tc.want)
		}
	}
	at := date("2020-05-05T10:00:00+02:00")
	if got := NextMidnight(at, Day); !got.Equal(date("2020-05-06T00:00:00Z")) || got.Location() != time.UTC {
		t.Errorf("NextMidnight(%v) = %v, want 2020-05-06 00:00 UTC", at, got)
	}
}

// current returns the state of a current version created at mtime.
func current(key string, size int64, mtime string, only bool, tags ...kura.Tag) object.VersionState {
	return object.VersionState{ObjectVersion: &kura.ObjectVersion{Key: key, VersionID: "v", Size: size, Tags: tags,
		LastModified: date(mtime)}, Current: true, Only: only}
}

func expireDays(n int) *kura.LifecycleExpiration { return &kura.LifecycleExpiration{Days: ptr(n)} }

func TestDecideExpiration(t *testing.T) {
	created := "2020-01-01T10:30:00Z"
	all := &kura.LifecycleFilter{}
	for _, tc := range []struct {
		name       string
		rule       kura.LifecycleRule
		versioning string
		at         string
		want       Kind
	}{
		{"days: not yet at the first midnight", kura.LifecycleRule{Status: "Enabled", Filter: all, Expiration: expireDays(1)}, "", "2020-01-02T00:00:00Z", None},
		{"days: due at the rounded midnight", kura.LifecycleRule{Status: "Enabled", Filter: all, Expiration: expireDays(1)}, "", "2020-01-03T00:00:00Z", ExpireCurrent},
		{"days: still due later", kura.LifecycleRule{Status: "Enabled", Filter: all, Expiration: expireDays(1)}, "Enabled", "2020-03-01T00:00:00Z", ExpireCurrent},
		{"date: the day before", kura.LifecycleRule{Status: "Enabled", Filter: all, Expiration: &kura.LifecycleExpiration{Date: "2020-06-01T00:00:00Z"}}, "", "2020-05-31T00:00:00Z", None},
		{"date: on the date", kura.LifecycleRule{Status: "Enabled", Filter: all, Expiration: &kura.LifecycleExpiration{Date: "2020-06-01T00:00:00Z"}}, "", "2020-06-01T00:00:00Z", ExpireCurrent},
		{"date: after the date", kura.LifecycleRule{Status: "Enabled", Filter: all, Expiration: &kura.LifecycleExpiration{Date: "2020-06-01T00:00:00Z"}}, "Suspended", "2021-01-01T00:00:00Z", ExpireCurrent},
		{"date: objects created after the date too", kura.LifecycleRule{Status: "Enabled", Filter: all, Expiration: &kura.LifecycleExpiration{Date: "2019-06-01T00:00:00Z"}}, "", "2020-01-02T00:00:00Z", ExpireCurrent},
		{"disabled rule", kura.LifecycleRule{Status: "Disabled", Filter: all, Expiration: expireDays(1)}, "", "2021-01-01T00:00:00Z", None},
		{"edm alone leaves objects", kura.LifecycleRule{Status: "Enabled", Filter: all, Expiration: &kura.LifecycleExpiration{ExpiredObjectDeleteMarker: ptr(true)}}, "Enabled", "2021-01-01T00:00:00Z", None},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide([]kura.LifecycleRule{tc.rule}, tc.versioning, current("k", 10, created, true), date(tc.at), Day)
			if got.Kind != tc.want {
				t.Fatalf("Decide = %v, want %v", got.Kind, tc.want)
			}
		})
	}
}

func TestMatchesEveryFilterKind(t *testing.T) {
	tags := []kura.Tag{{Key: "class", Value: "scratch"}, {Key: "team", Value: "a"}}
	for _, tc := range []struct {
		name string
		rule kura.LifecycleRule
		key  string
		size int64
		want bool
	}{
		{"legacy prefix match", kura.LifecycleRule{Prefix: ptr("logs/")}, "logs/1", 1, true},
		{"legacy prefix miss", kura.LifecycleRule{Prefix: ptr("logs/")}, "log/1", 1, false},
		{"legacy empty prefix", kura.LifecycleRule{Prefix: ptr("")}, "any", 1, true},
		{"empty filter", kura.LifecycleRule{Filter: &kura.LifecycleFilter{}}, "any", 0, true},
		{"filter prefix", kura.LifecycleRule{Filter: &kura.LifecycleFilter{Prefix: ptr("a/")}}, "a/b", 1, true},
		{"filter prefix miss", kura.LifecycleRule{Filter: &kura.LifecycleFilter{Prefix: ptr("a/")}}, "b/a/", 1, false},
		{"tag", kura.LifecycleRule{Filter: &kura.LifecycleFilter{Tag: &kura.Tag{Key: "class", Value: "scratch"}}}, "k", 1, true},
		{"tag other value", kura.LifecycleRule{Filter: &kura.LifecycleFilter{Tag: &kura.Tag{Key: "class", Value: "keep"}}}, "k", 1, false},
		{"tag absent", kura.LifecycleRule{Filter: &kura.LifecycleFilter{Tag: &kura.Tag{Key: "owner", Value: "x"}}}, "k", 1, false},
		{"size greater than", kura.LifecycleRule{Filter: &kura.LifecycleFilter{ObjectSizeGreaterThan: ptr[int64](100)}}, "k", 101, true},
		{"size greater than is strict", kura.LifecycleRule{Filter: &kura.LifecycleFilter{ObjectSizeGreaterThan: ptr[int64](100)}}, "k", 100, false},
		{"size less than", kura.LifecycleRule{Filter: &kura.LifecycleFilter{ObjectSizeLessThan: ptr[int64](100)}}, "k", 99, true},
		{"size less than is strict", kura.LifecycleRule{Filter: &kura.LifecycleFilter{ObjectSizeLessThan: ptr[int64](100)}}, "k", 100, false},
		{"and: all hold", kura.LifecycleRule{Filter: &kura.LifecycleFilter{And: &kura.LifecycleAnd{Prefix: ptr("tmp/"),
			Tags: []kura.Tag{{Key: "class", Value: "scratch"}, {Key: "team", Value: "a"}}, ObjectSizeGreaterThan: ptr[int64](10), ObjectSizeLessThan: ptr[int64](20)}}}, "tmp/x", 15, true},
		{"and: one tag differs", kura.LifecycleRule{Filter: &kura.LifecycleFilter{And: &kura.LifecycleAnd{Prefix: ptr("tmp/"),
			Tags: []kura.Tag{{Key: "class", Value: "scratch"}, {Key: "team", Value: "b"}}}}}, "tmp/x", 15, false},
		{"and: prefix differs", kura.LifecycleRule{Filter: &kura.LifecycleFilter{And: &kura.LifecycleAnd{Prefix: ptr("tmp/"),
			Tags: []kura.Tag{{Key: "class", Value: "scratch"}}}}}, "var/x", 15, false},
		{"and: too large", kura.LifecycleRule{Filter: &kura.LifecycleFilter{And: &kura.LifecycleAnd{ObjectSizeGreaterThan: ptr[int64](10), ObjectSizeLessThan: ptr[int64](20)}}}, "k", 20, false},
		{"and: too small", kura.LifecycleRule{Filter: &kura.LifecycleFilter{And: &kura.LifecycleAnd{ObjectSizeGreaterThan: ptr[int64](10), ObjectSizeLessThan: ptr[int64](20)}}}, "k", 10, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Matches(&tc.rule, tc.key, tc.size, tags); got != tc.want {
				t.Fatalf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
}

// stack returns the states of a key's versions, newest first, as a scan
// sees them: the first is current, the others noncurrent since their
// successor's creation. mtimes are the versions' creation times.
func stack(mtimes ...string) []object.VersionState {
	out := make([]object.VersionState, len(mtimes))
	for i, m := range mtimes {
		out[i] = object.VersionState{ObjectVersion: &kura.ObjectVersion{Key: "k", VersionID: string(rune('a' + i)), Size: 1, LastModified: date(m)},
			Current: i == 0, Only: len(mtimes) == 1}
		if i > 0 {
			out[i].NoncurrentSince, out[i].NewerNoncurrent = out[i-1].LastModified, i-1
		}
	}
	return out
}

func TestNewerNoncurrentVersions(t *testing.T) {
	// Five versions, a day apart: e is the oldest, a the current one.
	vs := stack("2020-01-05T12:00:00Z", "2020-01-04T12:00:00Z", "2020-01-03T12:00:00Z", "2020-01-02T12:00:00Z", "2020-01-01T12:00:00Z")
	rule := func(days int, newer *int) []kura.LifecycleRule {
		return []kura.LifecycleRule{{ID: "nc", Status: "Enabled", Filter: &kura.LifecycleFilter{},
			NoncurrentVersionExpiration: &kura.NoncurrentVersionExpiration{NoncurrentDays: ptr(days), NewerNoncurrentVersions: newer}}}
	}
	for _, tc := range []struct {
		name  string
		rules []kura.LifecycleRule
		at    string
		want  string // versions expired, newest first
	}{
		// b became noncurrent on the 5th, c on the 4th, d on the 3rd, e on the 2nd.
		{"days only", rule(1, nil), "2020-01-05T00:00:00Z", "de"},
		{"days only, later", rule(1, nil), "2020-01-07T00:00:00Z", "bcde"},
		{"keep the two newest noncurrent", rule(1, ptr(2)), "2020-01-07T00:00:00Z", "de"},
		{"keep one, but only those old enough", rule(2, ptr(1)), "2020-01-06T00:00:00Z", "de"},
		{"keep more than there are", rule(1, ptr(4)), "2021-01-01T00:00:00Z", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			for _, v := range vs {
				a := Decide(tc.rules, "Enabled", v, date(tc.at), Day)
				switch {
				case a.Kind == ExpireNoncurrent:
					got += v.VersionID
				case a.Kind != None:
					t.Fatalf("version %s: unexpected %v", v.VersionID, a.Kind)
				}
			}
			if got != tc.want {
				t.Fatalf("expired %q, want %q", got, tc.want)
			}
		})
	}
	if n := CountLimit(rule(1, ptr(7))); n != 7 {
		t.Errorf("CountLimit = %d, want 7", n)
	}
}

func TestExpiredObjectDeleteMarker(t *testing.T) {
	edm := []kura.LifecycleRule{{ID: "edm", Status: "Enabled", Filter: &kura.LifecycleFilter{},
		Expiration: &kura.LifecycleExpiration{ExpiredObjectDeleteMarker: ptr(true)}}}
	days := []kura.LifecycleRule{{ID: "days", Status: "Enabled", Filter: &kura.LifecycleFilter{}, Expiration: expireDays(3)}}
	marker := func(only bool) object.VersionState {
		v := current("k", 0, "2020-01-01T10:00:00Z", only)
		v.DeleteMarker = true
		return v
	}
	at := date("2020-01-02T00:00:00Z")
	for _, tc := range []struct {
		name  string
		rules []kura.LifecycleRule
		v     object.VersionState
		at    time.Time
		want  Kind
	}{
		{"only version: removed", edm, marker(true), at, RemoveDeleteMarker},
		{"with noncurrent versions: kept", edm, marker(false), at, None},
		{"days: too young", days, marker(true), at, None},
		{"days: old enough", days, marker(true), date("2020-01-05T00:00:00Z"), RemoveDeleteMarker},
		{"days: not with other versions", days, marker(false), date("2021-01-05T00:00:00Z"), None},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Decide(tc.rules, "Enabled", tc.v, tc.at, Day); got.Kind != tc.want {
				t.Fatalf("Decide = %v, want %v", got.Kind, tc.want)
			}
		})
	}
}

func TestDecidePrecedence(t *testing.T) {
	all := &kura.LifecycleFilter{}
	big := current("k", TransitionMinSize, "2020-01-01T10:00:00Z", true)
	at := date("2020-03-01T00:00:00Z")
	expire := kura.LifecycleRule{ID: "expire", Status: "Enabled", Filter: all, Expiration: expireDays(10)}
	ia := kura.LifecycleRule{ID: "ia", Status: "Enabled", Filter: all, Transitions: []kura.LifecycleTransition{{Days: ptr(30), StorageClass: "STANDARD_IA"}}}
	glacier := kura.LifecycleRule{ID: "glacier", Status: "Enabled", Filter: all, Transitions: []kura.LifecycleTransition{{Days: ptr(40), StorageClass: "GLACIER"}}}
	for _, tc := range []struct {
		name       string
		rules      []kura.LifecycleRule
		versioning string
		v          object.VersionState
		want       Action
	}{
		{"deletion beats transition", []kura.LifecycleRule{ia, expire}, "", big, Action{Kind: ExpireCurrent, RuleID: "expire"}},
		{"transition beats a delete marker", []kura.LifecycleRule{expire, ia}, "Enabled", big, Action{Kind: Transition, RuleID: "ia", StorageClass: "STANDARD_IA"}},
		{"glacier beats standard-ia", []kura.LifecycleRule{ia, glacier}, "", big, Action{Kind: Transition, RuleID: "glacier", StorageClass: "GLACIER"}},
		{"delete marker when nothing else", []kura.LifecycleRule{expire}, "Enabled", big, Action{Kind: ExpireCurrent, RuleID: "expire"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Decide(tc.rules, tc.versioning, tc.v, at, Day); got != tc.want {
				t.Fatalf("Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestTransitions(t *testing.T) {
	at := date("2020-03-01T00:00:00Z")
	rule := func(class string, f *kura.LifecycleFilter) []kura.LifecycleRule {
		return []kura.LifecycleRule{{ID: "t", Status: "Enabled", Filter: f, Transitions: []kura.LifecycleTransition{{Days: ptr(0), StorageClass: class}},
			NoncurrentVersionTransitions: []kura.NoncurrentVersionTransition{{NoncurrentDays: ptr(1), StorageClass: class}}}}
	}
	withClass := func(v object.VersionState, class string) object.VersionState {
		ov := *v.ObjectVersion
		ov.StorageClass, v.ObjectVersion = class, &ov
		return v
	}
	big := current("k", 1<<20, "2020-01-01T10:00:00Z", true)
	small := current("k", 1000, "2020-01-01T10:00:00Z", true)
	old := stack("2020-01-02T00:00:00Z", "2020-01-01T00:00:00Z")[1]
	old.Size = 1 << 20
	for _, tc := range []struct {
		name  string
		rules []kura.LifecycleRule
		v     object.VersionState
		want  Kind
	}{
		{"standard to glacier", rule("GLACIER", &kura.LifecycleFilter{}), big, Transition},
		{"day 0 waits for the next midnight", rule("GLACIER", &kura.LifecycleFilter{}), big, Transition},
		{"below 128 KiB without a size filter", rule("GLACIER", &kura.LifecycleFilter{}), small, None},
		{"below 128 KiB with a size filter", rule("GLACIER", &kura.LifecycleFilter{ObjectSizeGreaterThan: ptr[int64](0)}), small, Transition},
		{"never up the waterfall", rule("STANDARD_IA", &kura.LifecycleFilter{}), withClass(big, "GLACIER"), None},
		{"not to the same class", rule("GLACIER", &kura.LifecycleFilter{}), withClass(big, "GLACIER"), None},
		{"glacier to deep archive", rule("DEEP_ARCHIVE", &kura.LifecycleFilter{}), withClass(big, "GLACIER"), Transition},
		{"not one zone to instant retrieval", rule("GLACIER_IR", &kura.LifecycleFilter{}), withClass(big, "ONEZONE_IA"), None},
		{"noncurrent", rule("GLACIER", &kura.LifecycleFilter{}), old, TransitionNoncurrent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Decide(tc.rules, "Enabled", tc.v, at, Day); got.Kind != tc.want {
				t.Fatalf("Decide = %+v, want %v", got, tc.want)
			}
		})
	}
	// Days 0: due at the first midnight after creation, not at creation.
	if got := Decide(rule("GLACIER", &kura.LifecycleFilter{}), "", big, date("2020-01-01T00:00:00Z"), Day); got.Kind != None {
		t.Errorf("transition before the first midnight: %+v", got)
	}
}

func TestDecideUpload(t *testing.T) {
	u := &kura.Upload{Key: "big/file", Initiated: date("2020-01-01T23:00:00Z")}
	rule := func(f *kura.LifecycleFilter, status string) []kura.LifecycleRule {
		return []kura.LifecycleRule{{ID: "abort", Status: status, Filter: f,
			AbortIncompleteMultipartUpload: &kura.AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(1)}}}
	}
	for _, tc := range []struct {
		name  string
		rules []kura.LifecycleRule
		at    string
		want  Kind
	}{
		{"not yet", rule(&kura.LifecycleFilter{}, "Enabled"), "2020-01-02T00:00:00Z", None},
		{"due", rule(&kura.LifecycleFilter{}, "Enabled"), "2020-01-03T00:00:00Z", AbortUpload},
		{"prefix", rule(&kura.LifecycleFilter{Prefix: ptr("big/")}, "Enabled"), "2020-01-03T00:00:00Z", AbortUpload},
		{"other prefix", rule(&kura.LifecycleFilter{Prefix: ptr("small/")}, "Enabled"), "2020-01-03T00:00:00Z", None},
		{"size filters do not select uploads", rule(&kura.LifecycleFilter{ObjectSizeLessThan: ptr[int64](1 << 40)}, "Enabled"), "2020-01-03T00:00:00Z", None},
		{"disabled", rule(&kura.LifecycleFilter{}, "Disabled"), "2020-01-03T00:00:00Z", None},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DecideUpload(tc.rules, u, date(tc.at), Day); got.Kind != tc.want {
				t.Fatalf("DecideUpload = %+v, want %v", got, tc.want)
			}
		})
	}
}
