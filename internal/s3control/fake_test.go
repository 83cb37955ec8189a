package s3control_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"github.com/kurastore/kura"
	front "github.com/kurastore/kura/internal/s3control"
	"github.com/kurastore/kura/internal/s3err"
)

const account = "123456789012"

var created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeJobs is an in-memory Jobs: it keeps what the front handed it, so
// tests can check the decoding, and answers from it, so they can check
// the encoding. err, when set, is every call's answer.
type fakeJobs struct {
	mu   sync.Mutex
	jobs map[string]*kura.Job
	next int
	err  error

	// What the last call was given.
	lastCall     kura.Call
	lastAccount  string
	lastStatuses []kura.JobStatus
	lastToken    string
	lastMax      int
	lastReason   string
}

func newFake() *fakeJobs { return &fakeJobs{jobs: map[string]*kura.Job{}} }

// Undoes: the fake takes UndoOf (it only keeps it).
func (f *fakeJobs) Undoes() bool { return true }

func (f *fakeJobs) note(call kura.Call, account string) {
	f.lastCall, f.lastAccount = call, account
}

func (f *fakeJobs) job(id string) (*kura.Job, error) {
	j, ok := f.jobs[id]
	if !ok {
		return nil, &s3err.Error{Code: "NotFoundException", Status: http.StatusNotFound, Message: "The specified job does not exist."}
	}
	return j, nil
}

func (f *fakeJobs) CreateJob(_ context.Context, call kura.Call, account string, spec kura.JobSpec, tags []kura.Tag) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(call, account)
	if f.err != nil {
		return "", f.err
	}
	f.next++
	id := fmt.Sprintf("job-%05d", f.next)
	f.jobs[id] = &kura.Job{ID: id, AccountID: account, ARN: "arn:aws:s3:us-east-1:" + account + ":job/" + id, JobSpec: spec,
		Status: kura.JobNew, CreationTime: created.Add(time.Duration(f.next) * time.Second), Tags: tags}
	return id, nil
}

func (f *fakeJobs) DescribeJob(_ context.Context, call kura.Call, account, id string) (*kura.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(call, account)
	if f.err != nil {
		return nil, f.err
	}
	return f.job(id)
}

func (f *fakeJobs) ListJobs(_ context.Context, call kura.Call, account string, statuses []kura.JobStatus, token string, max int) ([]*kura.Job, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(call, account)
	f.lastStatuses, f.lastToken, f.lastMax = statuses, token, max
	if f.err != nil {
		return nil, "", f.err
	}
	var ids []string
	for id, j := range f.jobs {
		if len(statuses) == 0 || containsStatus(statuses, j.Status) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	start := 0
	if token != "" {
		start, _ = strconv.Atoi(token)
	}
	var out []*kura.Job
	next := ""
	for i := start; i < len(ids); i++ {
		if len(out) == max {
			next = strconv.Itoa(i)
			break
		}
		out = append(out, f.jobs[ids[i]])
	}
	return out, next, nil
}

func containsStatus(list []kura.JobStatus, s kura.JobStatus) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (f *fakeJobs) UpdateJobPriority(_ context.Context, call kura.Call, account, id string, priority int) (*kura.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(call, account)
	if f.err != nil {
		return nil, f.err
	}
	j, err := f.job(id)
	if err != nil {
		return nil, err
	}
	j.Priority = priority
	return j, nil
}

func (f *fakeJobs) UpdateJobStatus(_ context.Context, call kura.Call, account, id string, to kura.JobStatus, reason string) (*kura.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(call, account)
	f.lastReason = reason
	if f.err != nil {
		return nil, f.err
	}
	j, err := f.job(id)
	if err != nil {
		return nil, err
	}
	if j.Status != kura.JobSuspended && to == kura.JobReady {
		return nil, &s3err.Error{Code: "JobStatusException", Status: http.StatusBadRequest, Message: "Only a Suspended job can be confirmed."}
	}
	j.Status, j.StatusUpdateReason = to, reason
	if to == kura.JobCancelled {
		j.Status = kura.JobCancelling
	}
	return j, nil
}

func (f *fakeJobs) GetJobTagging(_ context.Context, call kura.Call, account, id string) ([]kura.Tag, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(call, account)
	j, err := f.job(id)
	if err != nil {
		return nil, err
	}
	return j.Tags, nil
}

func (f *fakeJobs) PutJobTagging(_ context.Context, call kura.Call, account, id string, tags []kura.Tag) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(call, account)
	j, err := f.job(id)
	if err != nil {
		return err
	}
	j.Tags = tags
	return nil
}

func (f *fakeJobs) DeleteJobTagging(_ context.Context, call kura.Call, account, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(call, account)
	j, err := f.job(id)
	if err != nil {
		return err
	}
	j.Tags = nil
	return nil
}

// caller is the principal every request of the test server is served as
// (the S3 front authenticates; here it is given).
var caller = kura.Principal{Type: kura.PrincipalRoot, AccountID: account, ARN: "arn:aws:iam::" + account + ":root"}

// serve runs the front on an httptest server as the S3 front would call
// it: Serve, then WriteError on an error. hosts records each request's
// Host.
func serve(t *testing.T, jobs front.Jobs) (url string, hosts *[]string) {
	t.Helper()
	h := front.New(jobs)
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Host)
		mu.Unlock()
		if !front.Is(r) {
			http.Error(w, "not an S3 Control request", http.StatusTeapot)
			return
		}
		if _, err := h.Serve(w, r, kura.Call{Principal: caller}); err != nil {
			front.WriteError(w, err, "REQ1")
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &seen
}

// client is an SDK s3control client for the server at url. The SDK sends
// every request to <account-id>.<endpoint host>, as botocore does; its
// dialer sends whatever host it is asked for to the test server.
func client(url string) *s3control.Client {
	addr := url[len("http://"):]
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return s3control.New(s3control.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://localhost:" + addr[len("127.0.0.1:"):]),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   &http.Client{Transport: &http.Transport{DialContext: dial}, Timeout: time.Minute},
	})
}
