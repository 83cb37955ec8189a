package ops_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// opCase is one call of an operation as a principal and what it must
// leave: its error, the status it is counted under, its audit event.
type opCase struct {
	name, op string
	p        kura.Principal
	run      func(kura.Call) error
	want     *s3err.Error
	status   int
	bucket   string // the event's bucket resource
	object   string // the event's object resource (bucket/key), a data event
	check    func(t *testing.T)
}

// runOpCases runs cases in order (each may depend on the ones before)
// and checks each one's error, metrics and audit event.
func runOpCases(t *testing.T, e *env, cases []opCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := strings.ReplaceAll(tc.name, " ", "-")
			if tc.status == 0 && tc.want != nil {
				tc.status = tc.want.Status
			}
			before := e.count(tc.op, tc.status)
			err := tc.run(call(tc.p, id))
			if tc.want == nil && err != nil || tc.want != nil && !s3err.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if tc.check != nil {
				tc.check(t)
			}
			if n := e.count(tc.op, tc.status) - before; n != 1 {
				t.Errorf("kura_operations_total{operation=%q,code=\"%d\"} grew by %v, want 1", tc.op, tc.status, n)
			}
			ev := e.eventByID(tc.op, id)
			if ev == nil {
				t.Fatalf("no %s event with requestID %s", tc.op, id)
			}
			code := ""
			if tc.want != nil {
				code = tc.want.Code
			}
			management := tc.object == ""
			if ev.ErrorCode != code || ev.ManagementEvent != management || ev.UserIdentity.ARN != tc.p.ARN {
				t.Errorf("event errorCode %q management %v identity %s, want %q, management %v, by %s",
					ev.ErrorCode, ev.ManagementEvent, ev.UserIdentity.ARN, code, management, tc.p.ARN)
			}
			var arns []string
			for _, r := range ev.Resources {
				arns = append(arns, r.ARN)
			}
			want := []string{"arn:aws:s3:::" + tc.bucket}
			if tc.object != "" {
				want = append([]string{"arn:aws:s3:::" + tc.object}, want...)
			}
			if !slices.Equal(arns, want) {
				t.Errorf("resources %v, want %v", arns, want)
			}
		})
	}
}
