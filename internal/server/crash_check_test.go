package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/audit"
)

// The crash harness's checks: what the store holds, read over the wire,
// and what the audit trail says, against what the clients were told.

// observe reads every version, delete marker, incomplete upload and part
// in the harness's buckets, and each version's metadata, encryption and
// storage class. A version's bytes are read back and hashed the first time
// it is seen (and after its encryption changed), and every time when full.
func (h *crashHarness) observe(p *crashProc, full bool) map[string]crashState {
	t := h.t
	c := crashClient(p)
	obs := map[string]*crashState{}
	at := func(bucket, key string) *crashState {
		id := bucket + "/" + key
		if obs[id] == nil {
			obs[id] = &crashState{}
		}
		return obs[id]
	}
	type job struct {
		bucket, key string
		v           *crashVersion
		read        bool // bytes read back
		err         error
	}
	var jobs []*job
	for _, b := range []string{"crash-plain", "crash-ver", "crash-lc", "crash-lcv"} {
		latest := map[string]string{}
		pg := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(b)})
		for pg.HasMorePages() {
			cx, cancel := crashCtx()
			out, err := pg.NextPage(cx)
			cancel()
			if err != nil {
				t.Fatalf("round %d: ListObjectVersions %s: %v", h.round, b, err)
			}
			for _, v := range out.Versions {
				st := at(b, aws.ToString(v.Key))
				st.Versions = append(st.Versions, crashVersion{VID: aws.ToString(v.VersionId), Size: aws.ToInt64(v.Size), Class: className(string(v.StorageClass))})
				if aws.ToBool(v.IsLatest) {
					latest[aws.ToString(v.Key)] = aws.ToString(v.VersionId)
				}
			}
			for _, m := range out.DeleteMarkers {
				st := at(b, aws.ToString(m.Key))
				st.Versions = append(st.Versions, crashVersion{VID: aws.ToString(m.VersionId), Marker: true})
				if aws.ToBool(m.IsLatest) {
					latest[aws.ToString(m.Key)] = aws.ToString(m.VersionId)
				}
			}
		}
		for key, vid := range latest {
			st := obs[b+"/"+key]
			i := slices.IndexFunc(st.Versions, func(v crashVersion) bool { return v.VID == vid })
			st.Versions[0], st.Versions[i] = st.Versions[i], st.Versions[0]
		}
		h.observeUploads(c, b, at)
	}
	for id, st := range obs {
		b, key, _ := strings.Cut(id, "/")
		for i := range st.Versions {
			if !st.Versions[i].Marker {
				jobs = append(jobs, &job{bucket: b, key: key, v: &st.Versions[i]})
			}
		}
	}
	// Four readers; each writes only its own jobs' versions.
	var wg sync.WaitGroup
	next := make(chan *job)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				j.read, j.err = h.readVersion(c, j.bucket, j.key, j.v, full)
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	out := map[string]crashState{}
	for _, j := range jobs {
		if j.err != nil {
			t.Fatalf("round %d: reading %s/%s version %s: %v", h.round, j.bucket, j.key, j.v.VID, j.err)
		}
		if k := h.keys[j.bucket+"/"+j.key]; k != nil && j.read {
			k.verified[verifiedID(*j.v)] = true
			h.stats.verifiedBytes += j.v.Size
		}
	}
	for id, st := range obs {
		out[id] = *st
	}
	return out
}

// observeUploads adds the incomplete uploads of bucket b and their parts.
func (h *crashHarness) observeUploads(c *s3.Client, b string, at func(bucket, key string) *crashState) {
	t := h.t
	var km, um *string
	for {
		cx, cancel := crashCtx()
		out, err := c.ListMultipartUploads(cx, &s3.ListMultipartUploadsInput{Bucket: aws.String(b), KeyMarker: km, UploadIdMarker: um})
		cancel()
		if err != nil {
			t.Fatalf("round %d: ListMultipartUploads %s: %v", h.round, b, err)
		}
		for _, u := range out.Uploads {
			up := crashUpload{ID: aws.ToString(u.UploadId)}
			cx, cancel := crashCtx()
			parts, err := c.ListParts(cx, &s3.ListPartsInput{Bucket: aws.String(b), Key: u.Key, UploadId: u.UploadId})
			cancel()
			if err != nil {
				t.Fatalf("round %d: ListParts %s/%s upload %s: %v", h.round, b, aws.ToString(u.Key), up.ID, err)
			}
			if aws.ToBool(parts.IsTruncated) {
				t.Fatalf("round %d: ListParts %s/%s: more than a page of parts", h.round, b, aws.ToString(u.Key))
			}
			for _, p := range parts.Parts {
				up.Parts = append(up.Parts, crashPart{N: aws.ToInt32(p.PartNumber), Size: aws.ToInt64(p.Size), ETag: aws.ToString(p.ETag)})
			}
			st := at(b, aws.ToString(u.Key))
			st.Uploads = append(st.Uploads, up)
		}
		if !aws.ToBool(out.IsTruncated) {
			return
		}
		km, um = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

func className(c string) string {
	if c == "" {
		return "STANDARD"
	}
	return c
}

// verifiedID names a version's bytes under one encryption.
func verifiedID(v crashVersion) string {
	return fmt.Sprintf("%s|%s|%+v", v.VID, v.Op, v.SSE)
}

// readVersion fills in v's metadata and encryption from HEAD and its
// SHA-256 from GET, unless the same bytes under the same encryption were
// read back at an earlier check and full is false (blobs never change;
// fsck authenticates every one of them each round).
func (h *crashHarness) readVersion(c *s3.Client, bucket, key string, v *crashVersion, full bool) (read bool, err error) {
	ssec := false
	var vid *string
	if v.VID != "null" {
		vid = aws.String(v.VID)
	}
	head := func() (*s3.HeadObjectOutput, error) {
		in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: vid}
		if ssec {
			f := h.ssecFields()
			in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = f.alg, f.key, f.md5
		}
		cx, cancel := crashCtx()
		defer cancel()
		return c.HeadObject(cx, in)
	}
	out, err := head()
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusBadRequest {
		ssec = true // SSE-C objects answer HEAD only with their key
		out, err = head()
	}
	if err != nil {
		return false, fmt.Errorf("HEAD (with the SSE-C key: %v): %w", ssec, err)
	}
	v.Op = out.Metadata["op"]
	v.SSE = answeredSSE(out.ServerSideEncryption, out.SSEKMSKeyId, out.BucketKeyEnabled, out.SSECustomerAlgorithm)
	if got := className(string(out.StorageClass)); got != v.Class || aws.ToInt64(out.ContentLength) != v.Size {
		return false, fmt.Errorf("HEAD says %s, %d bytes; the listing %s, %d bytes", got, aws.ToInt64(out.ContentLength), v.Class, v.Size)
	}
	if k := h.keys[bucket+"/"+key]; !full && k != nil && k.verified[verifiedID(*v)] {
		if sum, ok := modelSum(k, *v); ok {
			v.Sum = sum
			return false, nil
		}
	}
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: vid}
	if ssec {
		f := h.ssecFields()
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = f.alg, f.key, f.md5
	}
	cx, cancel := crashCtx()
	defer cancel()
	g, err := c.GetObject(cx, in)
	if err != nil {
		return false, fmt.Errorf("GET: %w", err)
	}
	defer g.Body.Close()
	hash := sha256.New()
	n, err := io.Copy(hash, g.Body)
	if err != nil {
		return false, fmt.Errorf("GET: reading the body: %w", err)
	}
	if n != v.Size {
		return false, fmt.Errorf("GET returned %d bytes of %d", n, v.Size)
	}
	v.Sum = hex.EncodeToString(hash.Sum(nil))
	return true, nil
}

// modelSum is the hash the model holds for the version v was read as.
func modelSum(k *crashKey, v crashVersion) (string, bool) {
	states := []crashState{k.state}
	if k.inflight != nil {
		states = append(states, k.inflight.after)
	}
	for _, s := range states {
		for _, m := range s.Versions {
			if m.VID == v.VID && m.Op == v.Op && !m.Marker {
				return m.Sum, true
			}
		}
	}
	return "", false
}

// crashEvents are the change events of one key: successful, not read-only.
type crashEvents struct {
	counts map[string]int
	list   []audit.Event
}

// events reads the whole trail of the stopped server and sorts its change
// events on the harness's objects by key.
func (h *crashHarness) events() map[string]*crashEvents {
	out := map[string]*crashEvents{}
	nRecovered, lcRecovered := 0, 0
	lc := map[string]int{}
	for _, ev := range trailEvents(h.t, h.dir) {
		if recovered(ev) {
			nRecovered++
		}
		if ev.EventSource != "s3.amazonaws.com" || ev.ReadOnly || ev.ErrorCode != "" {
			continue
		}
		b, _ := ev.RequestParameters["bucketName"].(string)
		key, _ := ev.RequestParameters["key"].(string)
		if key == "" || !strings.HasPrefix(b, "crash-") {
			continue
		}
		if strings.HasPrefix(ev.EventName, "Lifecycle") {
			lc[ev.EventName]++
			if recovered(ev) {
				lcRecovered++
			}
		}
		id := b + "/" + key
		if out[id] == nil {
			out[id] = &crashEvents{counts: map[string]int{}}
		}
		out[id].counts[ev.EventName]++
		out[id].list = append(out[id].list, ev)
	}
	h.stats.recovered, h.stats.lifecycle, h.stats.lifecycleRecov = nRecovered, lc, lcRecovered
	return out
}

// crashCandidate is one way a key may be: as acknowledged, or with its
// in-flight request applied.
type crashCandidate struct {
	st      crashState
	ev      map[string]int // the change events of the client's requests
	applied bool           // the in-flight request was applied
}

// check compares every key with its model and resolves the requests the
// kill cut off. It fails the test with every problem found.
func (h *crashHarness) check(obs map[string]crashState, evs map[string]*crashEvents) (cut, applied int) {
	var problems []string
	for id := range obs {
		if h.keys[id] == nil {
			problems = append(problems, fmt.Sprintf("%s is in the store, but no client ever wrote it: %s", id, fmtState(obs[id])))
		}
	}
	for id, e := range evs {
		if h.keys[id] == nil {
			problems = append(problems, fmt.Sprintf("%s has change events %v, but no client ever wrote it", id, e.counts))
		}
	}
	for id, k := range h.keys {
		o, e := obs[id], evs[id]
		if e == nil {
			e = &crashEvents{counts: map[string]int{}}
		}
		cands := []crashCandidate{{st: k.state, ev: k.events}}
		if k.inflight != nil {
			ev := maps.Clone(k.events)
			ev[k.inflight.event]++
			cands = append(cands, crashCandidate{st: k.inflight.after, ev: ev, applied: true})
		}
		var errs []string
		resolved := false
		for _, c := range cands {
			if err := validate(k, c, o, e); err != nil {
				errs = append(errs, err.Error())
				continue
			}
			if k.inflight != nil {
				cut++
				if c.applied {
					applied++
				}
			}
			if k.inflight != nil {
				k.history = append(k.history, fmt.Sprintf("r%d check: the unanswered %s was applied: %v", h.round, k.inflight.event, c.applied))
			}
			k.events, k.inflight, resolved = c.ev, nil, true
			k.state = c.st
			if k.kind == kindPlain || k.kind == kindVer {
				k.state = c.st.filled(o) // the ids the answers never told
				k.history = append(k.history, fmt.Sprintf("r%d check: %s", h.round, fmtState(k.state)))
			}
			break
		}
		if !resolved {
			var evs []string
			for _, ev := range e.list {
				evs = append(evs, fmt.Sprintf("%s %s %v %v recovered=%v", ev.EventTime.Format(time.TimeOnly), ev.EventName,
					ev.RequestParameters["versionId"], ev.ResponseElements["x-amz-version-id"], recovered(ev)))
			}
			problems = append(problems, fmt.Sprintf("%s:\n      %s\n    history:\n      %s\n    events:\n      %s", id,
				strings.Join(errs, "\n      or "), strings.Join(k.history, "\n      "), strings.Join(evs, "\n      ")))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		h.t.Fatalf("round %d: %d keys are not what the clients were told (first 30):\n  %s", h.round, len(problems),
			strings.Join(problems[:min(30, len(problems))], "\n  "))
	}
	h.stats.cut += cut
	h.stats.cutApplied += applied
	return cut, applied
}

// validate reports how o (observed) and e (the key's change events)
// contradict candidate c of k.
func validate(k *crashKey, c crashCandidate, o crashState, e *crashEvents) error {
	// The client's requests: one event each, exactly.
	for name, n := range c.ev {
		if e.counts[name] != n {
			return fmt.Errorf("%d %s events, want %d (candidate %s)", e.counts[name], name, n, fmtState(c.st))
		}
	}
	lifecycle := map[string]int{}
	for name, n := range e.counts {
		if _, ok := c.ev[name]; !ok {
			lifecycle[name] = n
		}
	}
	switch k.kind {
	case kindPlain, kindVer:
		if len(lifecycle) > 0 {
			return fmt.Errorf("events %v for requests no client sent", lifecycle)
		}
		if !c.st.matches(o) {
			return fmt.Errorf("the store holds %s, the client was told %s", fmtState(o), fmtState(c.st))
		}
		return nil
	case kindLCExp:
		return validateLC(c, o, lifecycle, "LifecycleExpirationDelete", func(o crashState) bool { return len(o.Versions) == 0 && len(o.Uploads) == 0 })
	case kindLCTr:
		return validateLCTr(c, o, lifecycle)
	case kindLCUp:
		return validateLC(c, o, lifecycle, "LifecycleAbortIncompleteMultipartUpload", func(o crashState) bool {
			return len(o.Versions) == 0 && len(o.Uploads) == 0
		})
	case kindLCV:
		return validateLCV(c, o, e.list, lifecycle)
	}
	return fmt.Errorf("unknown kind %d", k.kind)
}

// validateLC checks a key on which one lifecycle action (event action)
// may have happened: the key is as the client left it and the action has
// no event, or it is as after the action (done says) and the action has
// exactly one. Nothing at all if the client's request was not applied.
func validateLC(c crashCandidate, o crashState, lifecycle map[string]int, action string, done func(crashState) bool) error {
	n := lifecycle[action]
	delete(lifecycle, action)
	if len(lifecycle) > 0 {
		return fmt.Errorf("unexpected events %v", lifecycle)
	}
	switch {
	case len(c.st.Versions) == 0 && len(c.st.Uploads) == 0: // nothing was applied
		if n != 0 || len(o.Versions)+len(o.Uploads) != 0 {
			return fmt.Errorf("the request was not applied, yet the store holds %s with %d %s events", fmtState(o), n, action)
		}
	case c.st.matches(o):
		if n != 0 {
			return fmt.Errorf("%d %s events, but the store holds %s as written", n, action, fmtState(o))
		}
	case done(o):
		if n != 1 {
			return fmt.Errorf("%d %s events for one action that left %s", n, action, fmtState(o))
		}
	default:
		return fmt.Errorf("the store holds %s; the client was told %s (%d %s events)", fmtState(o), fmtState(c.st), n, action)
	}
	return nil
}

// validateLCTr checks a key of the transition rule: as written and no
// lifecycle event; transitioned to GLACIER_IR with one transition event;
// or expired with one expiration event (and one transition event or none:
// a run that finds both due expires without transitioning).
func validateLCTr(c crashCandidate, o crashState, lifecycle map[string]int) error {
	tr, x := lifecycle["LifecycleTransition"], lifecycle["LifecycleExpirationDelete"]
	delete(lifecycle, "LifecycleTransition")
	delete(lifecycle, "LifecycleExpirationDelete")
	if len(lifecycle) > 0 {
		return fmt.Errorf("unexpected events %v", lifecycle)
	}
	gone := len(o.Versions)+len(o.Uploads) == 0
	if len(c.st.Versions) == 0 { // nothing was applied
		if !gone || tr+x != 0 {
			return fmt.Errorf("the request was not applied, yet the store holds %s with %d transition and %d expiration events", fmtState(o), tr, x)
		}
		return nil
	}
	archived := c.st.clone()
	archived.Versions[0].Class = "GLACIER_IR"
	switch {
	case c.st.matches(o) && tr == 0 && x == 0:
	case archived.matches(o) && tr == 1 && x == 0:
	case gone && tr <= 1 && x == 1:
	default:
		return fmt.Errorf("the store holds %s with %d transition and %d expiration events; the client wrote %s", fmtState(o), tr, x, fmtState(c.st))
	}
	return nil
}

// validateLCV replays the lifecycle events of a key in the versioned
// lifecycle bucket — delete markers placed, versions and markers deleted —
// on the version the client wrote, and compares the result with o.
func validateLCV(c crashCandidate, o crashState, list []audit.Event, lifecycle map[string]int) error {
	for name := range lifecycle {
		if name != "LifecycleExpirationDeleteMarkerCreated" && name != "LifecycleExpirationDelete" {
			return fmt.Errorf("unexpected events %v", lifecycle)
		}
	}
	if len(c.st.Versions) == 0 {
		if len(lifecycle) > 0 || len(o.Versions) > 0 {
			return fmt.Errorf("the PUT was not applied, yet the store holds %s with events %v", fmtState(o), lifecycle)
		}
		return nil
	}
	put := c.st.Versions[0]
	if put.VID == "" { // the PUT's answer never came: find its id
		for _, v := range o.Versions {
			if !v.Marker && v.Op == put.Op {
				put.VID = v.VID
			}
		}
		for _, ev := range list {
			if ev.EventName == "LifecycleExpirationDelete" && ev.AdditionalEventData["deleteMarker"] != true {
				put.VID, _ = ev.RequestParameters["versionId"].(string)
			}
		}
	}
	want := map[string]crashVersion{put.VID: put}
	for _, ev := range list {
		switch ev.EventName {
		case "LifecycleExpirationDeleteMarkerCreated":
			vid, _ := ev.ResponseElements["x-amz-version-id"].(string)
			if _, dup := want[vid]; dup || vid == "" {
				return fmt.Errorf("delete marker event for version %q, which exists already", vid)
			}
			want[vid] = crashVersion{VID: vid, Marker: true}
		case "LifecycleExpirationDelete":
			vid, _ := ev.RequestParameters["versionId"].(string)
			if _, ok := want[vid]; !ok {
				return fmt.Errorf("expiration event for version %q, which is not there (deleted twice?)", vid)
			}
			delete(want, vid)
		}
	}
	if len(want) != len(o.Versions) {
		return fmt.Errorf("the store holds %s; the PUT and the lifecycle events leave %d versions", fmtState(o), len(want))
	}
	for _, v := range o.Versions {
		if w, ok := want[v.VID]; !ok || !w.same(v) {
			return fmt.Errorf("the store holds %s; the PUT (%s) and the lifecycle events do not leave version %s so", fmtState(o), fmtState(c.st), v.VID)
		}
	}
	return nil
}

// fmtState is a state on one line.
func fmtState(s crashState) string {
	if len(s.Versions) == 0 && len(s.Uploads) == 0 {
		return "nothing"
	}
	var parts []string
	for _, v := range s.Versions {
		vid := v.VID
		if vid == "" {
			vid = "?"
		}
		if v.Marker {
			parts = append(parts, "marker "+vid)
			continue
		}
		key := v.SSE.Key
		if i := strings.LastIndexByte(key, '/'); i >= 0 {
			key = key[i+1:]
		}
		sum := v.Sum
		if len(sum) > 8 {
			sum = sum[:8]
		}
		parts = append(parts, fmt.Sprintf("version %s (op %s, %d bytes, sha256 %s, %s %s bk=%v, %s)", vid, v.Op, v.Size, sum, v.SSE.Type, key, v.SSE.BK, v.Class))
	}
	for _, u := range s.Uploads {
		id := u.ID
		if id == "" {
			id = "?"
		}
		var ps []string
		for _, p := range u.Parts {
			ps = append(ps, fmt.Sprintf("%d:%d", p.N, p.Size))
		}
		parts = append(parts, fmt.Sprintf("upload %s parts [%s]", id, strings.Join(ps, " ")))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}
