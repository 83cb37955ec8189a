// Package s3control serves the Batch Operations job API of AWS S3 Control
// (REST-XML under /v20180820/jobs, botocore's s3control model 2018-08-20)
// on Kura's S3 listener: CreateJob, DescribeJob, ListJobs,
// UpdateJobPriority, UpdateJobStatus and Get/Put/DeleteJobTagging.
//
// It translates requests into the job types of package kura (JobSpec,
// JobStatus, Tag), checking every member against the model, calls a Jobs
// (the batch engine), and renders the answer or the error in S3 Control's
// formats. It does not authenticate (the S3 front, internal/s3api, has
// verified the signature and names the caller), and it does not
// authorize, store or run jobs: the Jobs it calls does, and decides every
// action (s3:CreateJob, iam:PassRole, …) as the caller. It never logs a
// request body.
package s3control

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// Jobs is the batch engine as the S3 Control front calls it. Every method
// acts as call's principal on the jobs of account (the request's
// x-amz-account-id, already checked to be the caller's), authorizes the
// call itself, returns *s3err.Error values for what the client did wrong,
// and records the call: one audit event named by the operation (a
// management event, through ops.Record.Finish) and its metrics, whether
// it succeeds or not. The front records only the requests it answers
// without calling Jobs (authentication, the account, a malformed
// request), so that no call is recorded twice.
type Jobs interface {
	CreateJob(ctx context.Context, call kura.Call, account string, spec kura.JobSpec, tags []kura.Tag) (id string, err error)
	DescribeJob(ctx context.Context, call kura.Call, account, id string) (*kura.Job, error)
	ListJobs(ctx context.Context, call kura.Call, account string, statuses []kura.JobStatus, token string, max int) (jobs []*kura.Job, next string, err error)
	UpdateJobPriority(ctx context.Context, call kura.Call, account, id string, priority int) (*kura.Job, error)
	UpdateJobStatus(ctx context.Context, call kura.Call, account, id string, to kura.JobStatus, reason string) (*kura.Job, error)
	GetJobTagging(ctx context.Context, call kura.Call, account, id string) ([]kura.Tag, error)
	PutJobTagging(ctx context.Context, call kura.Call, account, id string, tags []kura.Tag) error
	DeleteJobTagging(ctx context.Context, call kura.Call, account, id string) error
}

// Undoer is implemented by a Jobs that builds undo jobs: a CreateJob with
// JobSpec.UndoOf reverses that job from its completion report. A Jobs
// without it (or whose Undoes is false) never sees UndoOf: the front
// answers x-kura-undo-of NotImplemented, rather than let an engine that
// ignores UndoOf run the original operation again.
type Undoer interface {
	Undoes() bool
}

// Kura's extensions of CreateJob, which the S3 model has no member for.
const (
	// HeaderDryRun "true" creates a dry-run job (kura.JobSpec.DryRun):
	// every task reports what it would do and changes nothing.
	HeaderDryRun = "x-kura-dry-run"
	// HeaderUndoOf names the job whose completion report the new job
	// reverses (kura.JobSpec.UndoOf; `kura batch undo`).
	HeaderUndoOf = "x-kura-undo-of"
)

// PathPrefix is where S3 Control's API lives.
const PathPrefix = "/v20180820/"

// DefaultMaxResults is ListJobs' page size when maxResults is absent or
// 0, as in S3.
const DefaultMaxResults = 1000

// Handler serves S3 Control requests on a Jobs.
type Handler struct {
	jobs Jobs
}

// New returns a Handler that serves jobs.
func New(jobs Jobs) *Handler { return &Handler{jobs: jobs} }

// Is reports whether r is an S3 Control request rather than an S3 one: its
// path is under /v20180820/ and it names an account, in x-amz-account-id
// (every S3 Control request carries it) or as the first label of its Host
// (botocore and the SDKs send S3 Control requests to
// <account-id>.<endpoint host>, even to a custom endpoint). A path-style
// S3 request for a bucket named v20180820 has neither.
func Is(r *http.Request) bool {
	if !strings.HasPrefix(r.URL.Path, PathPrefix) {
		return false
	}
	return r.Header.Get("x-amz-account-id") != "" || hostAccount(r.Host) != ""
}

// hostAccount is the account id a Host starts with (123456789012.host),
// "" if its first label is not one.
func hostAccount(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	label, rest, ok := strings.Cut(host, ".")
	if !ok || rest == "" || !accountIDPattern.MatchString(label) {
		return ""
	}
	return label
}

// Operation is what an S3 Control request asks for, as its audit event
// and metrics name it.
type Operation struct {
	Name     string // CreateJob, …; "" when the request names none Kura serves
	ReadOnly bool
	JobID    string // the job the path names, if any
}

// route is one operation: method and the path below /v20180820/jobs.
type route struct {
	method   string
	withID   bool
	sub      string // after the id: "priority", "status", "tagging"
	name     string
	readOnly bool
	serve    func(h *Handler, c *call) error
}

var routes = []route{
	{http.MethodPost, false, "", "CreateJob", false, (*Handler).createJob},
	{http.MethodGet, false, "", "ListJobs", true, (*Handler).listJobs},
	{http.MethodGet, true, "", "DescribeJob", true, (*Handler).describeJob},
	{http.MethodPost, true, "priority", "UpdateJobPriority", false, (*Handler).updatePriority},
	{http.MethodPost, true, "status", "UpdateJobStatus", false, (*Handler).updateStatus},
	{http.MethodGet, true, "tagging", "GetJobTagging", true, (*Handler).getTagging},
	{http.MethodPut, true, "tagging", "PutJobTagging", false, (*Handler).putTagging},
	{http.MethodDelete, true, "tagging", "DeleteJobTagging", false, (*Handler).deleteTagging},
}

// match finds r's route. known reports whether the path is one of the
// job API's (so that another method on it is MethodNotAllowed).
func match(r *http.Request) (rt *route, id string, known bool) {
	p := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, PathPrefix), "/")
	parts := strings.Split(p, "/")
	if parts[0] != "jobs" || len(parts) > 3 {
		return nil, "", false
	}
	withID, sub := len(parts) > 1, ""
	if withID {
		id = parts[1]
	}
	if len(parts) == 3 {
		sub = parts[2]
	}
	for i := range routes {
		c := &routes[i]
		if c.withID != withID || c.sub != sub {
			continue
		}
		known = true
		if c.method == r.Method {
			return c, id, true
		}
	}
	return nil, id, known
}

// OperationOf names the operation r asks for.
func OperationOf(r *http.Request) Operation {
	rt, id, _ := match(r)
	if rt == nil {
		return Operation{JobID: id, ReadOnly: r.Method == http.MethodGet}
	}
	return Operation{Name: rt.name, ReadOnly: rt.readOnly, JobID: id}
}

// call is one request being served.
type call struct {
	w       http.ResponseWriter
	r       *http.Request
	who     kura.Call
	account string
	id      string
	// called: the request reached the Jobs, which records it.
	called bool
}

// jobs is h's Jobs, for a call that now reaches it.
func (c *call) jobs(h *Handler) Jobs {
	c.called = true
	return h.jobs
}

// Serve answers r, an authenticated S3 Control request from who. On
// success it writes the response; on an error it writes nothing and the
// caller answers with WriteError, so that one place logs errors for every
// API on the listener. recorded reports whether the request reached the
// Jobs, which then has recorded its audit event and metrics (see Jobs);
// if not, the caller records it.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, who kura.Call) (recorded bool, err error) {
	rt, id, known := match(r)
	if rt == nil {
		if known {
			return false, s3err.MethodNotAllowed.WithMessage("The %s method is not allowed on %s.", r.Method, r.URL.Path)
		}
		return false, s3err.NotImplemented.WithMessage("Kura serves the Batch Operations job API of S3 Control only (%sjobs); %s %s is not implemented.", PathPrefix, r.Method, r.URL.Path)
	}
	account, err := checkAccount(r, who)
	if err != nil {
		return false, err
	}
	if rt.withID && !jobIDPattern.MatchString(id) {
		return false, s3err.InvalidRequest.WithMessage("The job id %q is not valid: job ids are 5 to 36 letters, digits, - and _.", id)
	}
	c := &call{w: w, r: r, who: who, account: account, id: id}
	err = rt.serve(h, c)
	return c.called, err
}

// checkAccount returns the request's x-amz-account-id, which must be the
// caller's account and agree with an account id in the Host.
func checkAccount(r *http.Request, who kura.Call) (string, error) {
	account := r.Header.Get("x-amz-account-id")
	switch {
	case account == "":
		return "", s3err.InvalidRequest.WithMessage("The x-amz-account-id header is required: it names the account whose jobs the request is about.")
	case !accountIDPattern.MatchString(account):
		return "", s3err.InvalidRequest.WithMessage("The x-amz-account-id header %q is not a 12-digit account id.", account)
	}
	if ha := hostAccount(r.Host); ha != "" && ha != account {
		return "", s3err.InvalidRequest.WithMessage("The account id in the Host (%s) differs from the x-amz-account-id header (%s).", ha, account)
	}
	if account != who.Principal.AccountID {
		return "", s3err.AccessDenied.WithMessage("Access Denied: the request is signed by a principal of another account than x-amz-account-id %s; jobs can only be managed within the caller's own account.", account)
	}
	return account, nil
}

func (h *Handler) createJob(c *call) error {
	body, err := readBody(c.r)
	if err != nil {
		return err
	}
	req, err := decodeCreateJob(body)
	if err != nil {
		return err
	}
	if len(req.tags) > maxJobTags {
		return s3err.InvalidRequest.WithMessage("A job can have at most %d tags; the request has %d.", maxJobTags, len(req.tags))
	}
	if v := c.r.Header.Get(HeaderDryRun); v != "" {
		b, ok := parseBool(strings.ToLower(v))
		if !ok {
			return s3err.InvalidArgument.WithMessage("The %s header must be true or false, not %q.", HeaderDryRun, v)
		}
		req.spec.DryRun = b
	}
	if v := c.r.Header.Get(HeaderUndoOf); v != "" {
		if !jobIDPattern.MatchString(v) {
			return s3err.InvalidArgument.WithMessage("The %s header %q is not a job id.", HeaderUndoOf, v)
		}
		if u, ok := h.jobs.(Undoer); !ok || !u.Undoes() {
			return s3err.NotImplemented.WithMessage("This server's job engine does not build undo jobs: %s is not supported.", HeaderUndoOf)
		}
		req.spec.UndoOf = v
	}
	id, err := c.jobs(h).CreateJob(c.r.Context(), c.who, c.account, req.spec, req.tags)
	if err != nil {
		return err
	}
	return writeXML(c.w, createJobResult{NS: xmlns, JobID: id})
}

func (h *Handler) describeJob(c *call) error {
	j, err := c.jobs(h).DescribeJob(c.r.Context(), c.who, c.account, c.id)
	if err != nil {
		return err
	}
	if j == nil {
		return s3err.InternalError.WithMessage("The job engine returned no job.")
	}
	return writeXML(c.w, describeJobResult{NS: xmlns, Job: describeOf(j)})
}

func (h *Handler) listJobs(c *call) error {
	q := c.r.URL.Query()
	var statuses []kura.JobStatus
	for _, v := range q["jobStatuses"] {
		if !contains(jobStatuses, v) {
			return s3err.InvalidRequest.WithMessage("jobStatuses %q is not a job status; valid values are: %s.", v, strings.Join(jobStatuses, ", "))
		}
		statuses = append(statuses, kura.JobStatus(v))
	}
	token := q.Get("nextToken")
	if q.Has("nextToken") && (len(token) > 1024 || !nextTokenPattern.MatchString(token)) {
		return s3err.InvalidRequest.WithMessage("nextToken is not a token a ListJobs response gave.")
	}
	max := DefaultMaxResults
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			return s3err.InvalidRequest.WithMessage("maxResults must be a whole number from 0 to 1000, not %q.", v)
		}
		if n > 0 {
			max = n
		}
	}
	jobs, next, err := c.jobs(h).ListJobs(c.r.Context(), c.who, c.account, statuses, token, max)
	if err != nil {
		return err
	}
	out := listJobsResult{NS: xmlns, NextToken: next}
	if len(jobs) > 0 {
		out.Jobs = &listJobsX{}
		for _, j := range jobs {
			out.Jobs.Members = append(out.Jobs.Members, listOf(j))
		}
	}
	return writeXML(c.w, out)
}

func (h *Handler) updatePriority(c *call) error {
	q := c.r.URL.Query()
	v := q.Get("priority")
	p, err := strconv.ParseInt(v, 10, 64)
	if !q.Has("priority") || err != nil || p < 0 || p > math.MaxInt32 {
		return s3err.InvalidRequest.WithMessage("The priority query parameter is required: a whole number from 0 to 2147483647 (got %q).", v)
	}
	j, err := c.jobs(h).UpdateJobPriority(c.r.Context(), c.who, c.account, c.id, int(p))
	if err != nil {
		return err
	}
	if j == nil {
		return s3err.InternalError.WithMessage("The job engine returned no job.")
	}
	return writeXML(c.w, updatePriorityResult{NS: xmlns, JobID: j.ID, Priority: j.Priority})
}

func (h *Handler) updateStatus(c *call) error {
	q := c.r.URL.Query()
	to := q.Get("requestedJobStatus")
	if !contains(requestedStatuses, to) {
		return s3err.InvalidRequest.WithMessage("requestedJobStatus %q is not valid; valid values are: %s.", to, strings.Join(requestedStatuses, ", "))
	}
	reason := q.Get("statusUpdateReason")
	if q.Has("statusUpdateReason") && (reason == "" || len(reason) > 256) {
		return s3err.InvalidRequest.WithMessage("statusUpdateReason must be 1 to 256 characters long.")
	}
	j, err := c.jobs(h).UpdateJobStatus(c.r.Context(), c.who, c.account, c.id, kura.JobStatus(to), reason)
	if err != nil {
		return err
	}
	if j == nil {
		return s3err.InternalError.WithMessage("The job engine returned no job.")
	}
	return writeXML(c.w, updateStatusResult{NS: xmlns, JobID: j.ID, Status: string(j.Status), StatusUpdateReason: j.StatusUpdateReason})
}

func (h *Handler) getTagging(c *call) error {
	tags, err := c.jobs(h).GetJobTagging(c.r.Context(), c.who, c.account, c.id)
	if err != nil {
		return err
	}
	return writeXML(c.w, getTaggingResult{NS: xmlns, Tags: tagsOf(tags)})
}

// maxJobTags is how many tags a job may have, as in S3.
const maxJobTags = 50

func (h *Handler) putTagging(c *call) error {
	body, err := readBody(c.r)
	if err != nil {
		return err
	}
	tags, err := decodeTagging(body)
	if err != nil {
		return err
	}
	if len(tags) > maxJobTags {
		return s3err.InvalidRequest.WithMessage("A job can have at most %d tags; the request has %d.", maxJobTags, len(tags))
	}
	if err := c.jobs(h).PutJobTagging(c.r.Context(), c.who, c.account, c.id, tags); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deleteTagging(c *call) error {
	if err := c.jobs(h).DeleteJobTagging(c.r.Context(), c.who, c.account, c.id); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// readBody reads a request body of at most maxBody bytes and checks its
// Content-MD5, if it has one.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, s3err.MalformedXML.WithMessage("The XML you provided was larger than the maximum %d bytes allowed.", maxBody)
	}
	if v := r.Header.Get("Content-MD5"); v != "" {
		want, err := base64.StdEncoding.DecodeString(v)
		sum := md5.Sum(b)
		if err != nil || len(want) != md5.Size {
			return nil, s3err.InvalidDigest
		}
		if !bytes.Equal(want, sum[:]) {
			return nil, s3err.BadDigest
		}
	}
	return b, nil
}

// writeXML answers 200 with v.
func writeXML(w http.ResponseWriter, v any) error {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return s3err.InternalError.Wrap(err)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
	return nil
}

// errorResponse is S3 Control's error document: unlike S3's, the
// <Error> is wrapped in <ErrorResponse>, and the SDKs read it there.
type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Error     errorX   `xml:"Error"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

type errorX struct {
	Code    string   `xml:"Code"`
	Message string   `xml:"Message"`
	Extra   []extraX `xml:",any"`
}

type extraX struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// WriteError answers with err (an *s3err.Error, else InternalError) in S3
// Control's error format and returns the status written.
func WriteError(w http.ResponseWriter, err error, requestID string) int {
	e := s3err.As(err)
	hdr := w.Header()
	for _, f := range e.Header {
		hdr.Set(f.Name, f.Value)
	}
	body := errorResponse{Error: errorX{Code: e.Code, Message: e.Message}, RequestID: requestID, HostID: requestID}
	for _, f := range e.Extra {
		body.Error.Extra = append(body.Error.Extra, extraX{XMLName: xml.Name{Local: f.Name}, Value: f.Value})
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	xml.NewEncoder(&buf).Encode(body)
	hdr.Set("Content-Type", "application/xml")
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(e.Status)
	w.Write(buf.Bytes())
	return e.Status
}
