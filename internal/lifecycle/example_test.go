package lifecycle_test

import (
	"fmt"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/lifecycle"
	"github.com/kurastore/kura/internal/object"
)

// An object written at 10:30 on January 1st under a rule expiring objects
// after one day is due at the midnight after January 2nd, 10:30: it is
// still there at the run of January 2nd and expires at that of the 3rd.
func ExampleDecide() {
	days := 1
	rules := []kura.LifecycleRule{{ID: "logs", Status: "Enabled", Filter: &kura.LifecycleFilter{},
		Expiration: &kura.LifecycleExpiration{Days: &days}}}
	created := time.Date(2020, 1, 1, 10, 30, 0, 0, time.UTC)
	v := object.VersionState{ObjectVersion: &kura.ObjectVersion{Key: "logs/1", LastModified: created}, Current: true, Only: true}

	due, _ := lifecycle.DueAfter(created, days, lifecycle.Day)
	fmt.Println("due:", due.Format(time.RFC3339))
	for _, at := range []time.Time{due.Add(-lifecycle.Day), due} {
		a := lifecycle.Decide(rules, "", v, at, lifecycle.Day)
		fmt.Printf("%s: %v %q\n", at.Format("Jan 2"), a.Kind, a.RuleID)
	}
	// Output:
	// due: 2020-01-03T00:00:00Z
	// Jan 2: None ""
	// Jan 3: ExpireCurrent "logs"
}
