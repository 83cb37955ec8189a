package sse_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

type fixture struct {
	env  *sse.Envelope
	kms  *fakeKMS
	now  time.Time
	cust []byte // an SSE-C key
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := make([]byte, 32)
	rand.Read(root)
	managed, err := sse.NewManagedKey("sse-s3-1", sse.DeriveKey(root, "test managed key"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{kms: newFakeKMS("a", "b"), now: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), cust: make([]byte, 32)}
	rand.Read(f.cust)
	f.env = sse.NewEnvelope(sse.EnvelopeConfig{Managed: managed, KMS: f.kms, Region: fakeRegion, Now: func() time.Time { return f.now }})
	return f
}

func access(user string) sse.Access {
	return sse.Access{Caller: kura.Call{
		Principal: kura.Principal{Type: kura.PrincipalIAMUser, AccountID: "111122223333", ARN: "arn:aws:iam::111122223333:user/" + user, UserName: user},
		Source:    kura.Source{IP: "192.0.2.7", UserAgent: "test", RequestID: "req-" + user},
	}}
}

var (
	alice = access("alice")
	bob   = access("bob")
	on    = true
)

func md5Of(b []byte) string { s := md5.Sum(b); return base64.StdEncoding.EncodeToString(s[:]) }

func (f *fixture) withCustomerKey(a sse.Access) sse.Access { a.CustomerKey = f.cust; return a }

func (f *fixture) sseC() sse.Request {
	return sse.Request{Type: kura.SSEC, CustomerKey: f.cust, CustomerKeyMD5: md5Of(f.cust)}
}

func (f *fixture) newKeys(t *testing.T, req sse.Request, bucket, key string, acc sse.Access) (sse.DataKeys, kura.Encryption) {
	t.Helper()
	keys, enc, err := f.env.NewKeys(context.Background(), req, bucket, key, acc)
	if err != nil {
		t.Fatalf("NewKeys(%+v): %v", req, err)
	}
	return keys, enc
}

func sameKeys(a, b sse.DataKeys) bool {
	return bytes.Equal(a.DEK, b.DEK) && bytes.Equal(a.DEK2, b.DEK2)
}

func wantOps(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: KMS calls %q, want %q", what, got, want)
	}
}

func wantS3Error(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	var e *s3err.Error
	if !errors.As(err, &e) || e.Code != code || e.Status != status {
		t.Errorf("%s: error %v, want %s (%d)", what, err, code, status)
	}
}

// TestEnvelopeNewOpen makes a data key in each mode, checks the record it
// would store and the KMS calls made, and opens it again: as the writer,
// as another requester, and for another object (refused: a seal is bound
// to its object).
func TestEnvelopeNewOpen(t *testing.T) {
	const ctxJSON = `{"dept":"x"}`
	for _, c := range []struct {
		name    string
		req     func(f *fixture) sse.Request
		open    func(f *fixture) sse.Access // as whom to open
		check   func(t *testing.T, enc kura.Encryption)
		newOps  []string
		openOps []string
	}{
		{name: "default is SSE-S3", req: func(*fixture) sse.Request { return sse.Request{} },
			check: func(t *testing.T, enc kura.Encryption) { wantType(t, enc, kura.SSES3, "") }},
		{name: "SSE-S3", req: func(*fixture) sse.Request { return sse.Request{Type: kura.SSES3} },
			check: func(t *testing.T, enc kura.Encryption) { wantType(t, enc, kura.SSES3, "") }},
		{name: "SSE-C", req: (*fixture).sseC, open: func(f *fixture) sse.Access { return f.withCustomerKey(bob) },
			check: func(t *testing.T, enc kura.Encryption) {
				wantType(t, enc, kura.SSEC, "")
				if len(enc.CustomerKeySalt) != 16 || len(enc.CustomerKeyHMAC) != 32 || enc.CustomerKeyMD5 == "" {
					t.Errorf("SSE-C record: salt %d bytes, HMAC %d bytes, MD5 %q", len(enc.CustomerKeySalt), len(enc.CustomerKeyHMAC), enc.CustomerKeyMD5)
				}
			}},
		{name: "SSE-KMS by ARN with context", req: func(*fixture) sse.Request {
			return sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("a"), Context: ctxJSON}
		}, check: func(t *testing.T, enc kura.Encryption) {
			wantType(t, enc, kura.SSEKMS, fakeARN("a"))
			if enc.Context != ctxJSON {
				t.Errorf("Context = %q, want %q", enc.Context, ctxJSON)
			}
		}, newOps: []string{"NewDataKey"}, openOps: []string{"OpenDataKey"}},
		{name: "SSE-KMS by alias", req: func(*fixture) sse.Request { return sse.Request{Type: kura.SSEKMS, KMSKeyID: "alias/b"} },
			check:  func(t *testing.T, enc kura.Encryption) { wantType(t, enc, kura.SSEKMS, fakeARN("b")) },
			newOps: []string{"NewDataKey"}, openOps: []string{"OpenDataKey"}},
		{name: "SSE-KMS, no key named: aws/s3", req: func(*fixture) sse.Request { return sse.Request{Type: kura.SSEKMS} },
			check:  func(t *testing.T, enc kura.Encryption) { wantType(t, enc, kura.SSEKMS, fakeARN("aws/s3")) },
			newOps: []string{"NewDataKey"}, openOps: []string{"OpenDataKey"}},
		{name: "SSE-KMS with a bucket key, read by the writer (cached)", req: func(*fixture) sse.Request {
			return sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("a"), BucketKey: &on}
		}, open: func(*fixture) sse.Access { return alice },
			check: func(t *testing.T, enc kura.Encryption) {
				wantType(t, enc, kura.SSEKMS, fakeARN("a"))
				if !enc.BucketKeyEnabled || len(enc.BucketKeyBlob) == 0 {
					t.Errorf("bucket key record: enabled %v, blob %d bytes", enc.BucketKeyEnabled, len(enc.BucketKeyBlob))
				}
			}, newOps: []string{"NewDataKey"}},
		{name: "SSE-KMS with a bucket key, read by another", req: func(*fixture) sse.Request {
			return sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("a"), BucketKey: &on}
		}, check: func(t *testing.T, enc kura.Encryption) { wantType(t, enc, kura.SSEKMS, fakeARN("a")) },
			newOps: []string{"NewDataKey"}, openOps: []string{"OpenDataKey"}},
		{name: "DSSE-KMS", req: func(*fixture) sse.Request {
			return sse.Request{Type: kura.SSEDSSE, KMSKeyID: fakeARN("b"), BucketKey: &on}
		},
			check: func(t *testing.T, enc kura.Encryption) {
				wantType(t, enc, kura.SSEDSSE, fakeARN("b"))
				if len(enc.SealedKey2) == 0 || enc.BucketKeyEnabled {
					t.Errorf("DSSE record: second key %d bytes, bucket key %v (DSSE has none)", len(enc.SealedKey2), enc.BucketKeyEnabled)
				}
			}, newOps: []string{"NewDataKey", "NewDataKey"}, openOps: []string{"OpenDataKey", "OpenDataKey"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			keys, enc := f.newKeys(t, c.req(f), "bkt", "obj", alice)
			wantOps(t, "new", f.kms.ops(), c.newOps)
			c.check(t, enc)
			if len(keys.DEK) != sse.DEKSize || (keys.DEK2 != nil) != (enc.Type == kura.SSEDSSE) {
				t.Fatalf("data keys: DEK %d bytes, DEK2 %d bytes", len(keys.DEK), len(keys.DEK2))
			}
			for _, sealed := range [][]byte{enc.SealedKey, enc.SealedKey2, enc.BucketKeyBlob} {
				if len(sealed) > 0 && (bytes.Contains(sealed, keys.DEK) || keys.DEK2 != nil && bytes.Contains(sealed, keys.DEK2)) {
					t.Fatal("a sealed key holds a plaintext data key")
				}
			}
			if len(c.newOps) > 0 {
				call := f.kms.lastCallOf(t)
				if call.Principal.ARN != alice.Caller.Principal.ARN || call.Source.IP != "192.0.2.7" ||
					call.Source.InvokedBy != "s3.amazonaws.com" || call.Source.ViaService != "s3.us-east-1.amazonaws.com" {
					t.Errorf("KMS call made as %+v, want alice via s3.us-east-1.amazonaws.com", call)
				}
			}
			as := bob
			if c.open != nil {
				as = c.open(f)
			}
			got, err := f.env.Open(ctx, enc, "bkt", "obj", as)
			if err != nil || !sameKeys(got, keys) {
				t.Fatalf("Open = %v, keys equal %v", err, sameKeys(got, keys))
			}
			wantOps(t, "open", f.kms.ops(), c.openOps)
			if _, err := f.env.Open(ctx, enc, "bkt", "other", as); err == nil {
				t.Error("the seal opened for another object")
			}
		})
	}
}

// lastCallOf is the call the fake saw last, recorded before ops() forgot
// them; tests read it right after the operation.
func (f *fakeKMS) lastCallOf(t *testing.T) kura.Call {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last == nil {
		t.Fatal("no KMS call recorded")
	}
	return *f.last
}

func wantType(t *testing.T, enc kura.Encryption, typ kura.SSEType, keyARN string) {
	t.Helper()
	if enc.Type != typ || enc.KMSKeyARN != keyARN || len(enc.SealedKey) == 0 {
		t.Errorf("encryption %s under %q (sealed key %d bytes), want %s under %q", enc.Type, enc.KMSKeyARN, len(enc.SealedKey), typ, keyARN)
	}
}

// TestEnvelopeCustomerKey: an SSE-C key opens only with the customer's
// key; a missing or wrong one is refused before any unsealing, as S3
// refuses it (the HMAC comparison is hmac.Equal, constant-time). A key
// sent for an object that is not SSE-C is refused by CheckCustomerKey,
// which the read path applies first; Open of such an object ignores it.
func TestEnvelopeCustomerKey(t *testing.T) {
	f := newFixture(t)
	keys, enc := f.newKeys(t, f.sseC(), "bkt", "obj", alice)
	_, s3enc := f.newKeys(t, sse.Request{Type: kura.SSES3}, "bkt", "obj", alice)
	flip := func(i int) []byte { k := bytes.Clone(f.cust); k[i] ^= 1; return k }
	const wrongKey = "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key."
	for _, c := range []struct {
		name   string
		enc    kura.Encryption
		key    []byte
		code   string // "" for success
		status int
		msg    string
	}{
		{"right key", enc, f.cust, "", 0, ""},
		{"first byte wrong", enc, flip(0), "AccessDenied", http.StatusForbidden, wrongKey},
		{"last byte wrong", enc, flip(31), "AccessDenied", http.StatusForbidden, wrongKey},
		{"short key", enc, f.cust[:16], "AccessDenied", http.StatusForbidden, wrongKey},
		{"no key", enc, nil, "InvalidRequest", http.StatusBadRequest,
			"The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."},
		{"key for an SSE-S3 object", s3enc, f.cust, "InvalidRequest", http.StatusBadRequest, "The encryption parameters are not applicable to this object."},
	} {
		t.Run(c.name, func(t *testing.T) {
			check := sse.CheckCustomerKey(c.enc, c.key)
			got, err := f.env.Open(context.Background(), c.enc, "bkt", "obj", sse.Access{Caller: alice.Caller, CustomerKey: c.key})
			if c.code == "" {
				if check != nil || err != nil || !sameKeys(got, keys) {
					t.Fatalf("CheckCustomerKey = %v, Open = %v", check, err)
				}
				return
			}
			errs := map[string]error{"CheckCustomerKey": check, "Open": err}
			if c.enc.Type != kura.SSEC {
				if err != nil {
					t.Errorf("Open of a %s object with a customer key: %v", c.enc.Type, err)
				}
				delete(errs, "Open")
			}
			for what, err := range errs {
				wantS3Error(t, what, err, c.code, c.status)
				if e := s3err.As(err); e.Message != c.msg {
					t.Errorf("%s: message %q, want %q", what, e.Message, c.msg)
				}
			}
		})
	}
}

// TestEnvelopeReseal walks one object's data key through every target a
// re-seal can have and back, checking after each step the KMS calls made
// (the same as UpdateObjectEncryption's: the key is resolved first; KMS to
// KMS is a ReEncrypt), the record, and that the data encrypted under the
// first key still decrypts: the data is never touched.
func TestEnvelopeReseal(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	keys, enc := f.newKeys(t, sse.Request{Type: kura.SSES3}, "bkt", "obj", alice)
	plaintext := []byte("the data, encrypted once and never again")
	blob := encrypt(t, plaintext, keys.DEK)
	const ctxJSON = `{"dept":"x"}`
	for _, s := range []struct {
		name      string
		target    sse.Request
		as        sse.Access
		ops       []string
		typ       kura.SSEType
		keyARN    string
		bucketKey bool
	}{
		{"SSE-S3 to SSE-KMS", sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("a"), Context: ctxJSON}, alice,
			[]string{"ResolveKey", "SealDataKey"}, kura.SSEKMS, fakeARN("a"), false},
		{"SSE-KMS to SSE-KMS (another key)", sse.Request{Type: kura.SSEKMS, KMSKeyID: "alias/b", Context: ctxJSON}, alice,
			[]string{"ResolveKey", "ResealDataKey"}, kura.SSEKMS, fakeARN("b"), false},
		{"SSE-KMS to SSE-KMS with a bucket key", sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("a"), BucketKey: &on, Context: ctxJSON}, alice,
			[]string{"ResolveKey", "OpenDataKey", "NewDataKey"}, kura.SSEKMS, fakeARN("a"), true},
		{"bucket key to SSE-KMS (bucket key cached)", sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("b"), Context: ctxJSON}, alice,
			[]string{"ResolveKey", "SealDataKey"}, kura.SSEKMS, fakeARN("b"), false},
		{"SSE-KMS back to SSE-S3", sse.Request{Type: kura.SSES3}, bob,
			[]string{"OpenDataKey"}, kura.SSES3, "", false},
		{"SSE-S3 to SSE-C", f.sseC(), bob, nil, kura.SSEC, "", false},
		{"SSE-C to SSE-KMS (aws/s3)", sse.Request{Type: kura.SSEKMS}, f.withCustomerKey(bob),
			[]string{"ResolveKey", "SealDataKey"}, kura.SSEKMS, fakeARN("aws/s3"), false},
		{"SSE-KMS back to SSE-S3 again", sse.Request{Type: kura.SSES3}, alice,
			[]string{"OpenDataKey"}, kura.SSES3, "", false},
	} {
		next, err := f.env.Reseal(ctx, enc, "bkt", "obj", s.target, s.as)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		wantOps(t, s.name, f.kms.ops(), s.ops)
		if next.Type != s.typ || next.KMSKeyARN != s.keyARN || next.BucketKeyEnabled != s.bucketKey || next.Context != s.target.Context {
			t.Errorf("%s: got %s under %q (bucket key %v, context %q)", s.name, next.Type, next.KMSKeyARN, next.BucketKeyEnabled, next.Context)
		}
		if bytes.Equal(next.SealedKey, enc.SealedKey) {
			t.Errorf("%s: the seal did not change", s.name)
		}
		as := s.as
		if next.Type == kura.SSEC {
			as = f.withCustomerKey(as)
		}
		opened, err := f.env.Open(ctx, next, "bkt", "obj", as)
		if err != nil || !bytes.Equal(decrypt(t, blob, len(plaintext), opened.DEK), plaintext) {
			t.Fatalf("%s: the data no longer decrypts (open: %v)", s.name, err)
		}
		f.kms.ops()
		enc = next
	}
}

// TestEnvelopeResealDSSE: DSSE-KMS data has two layers; both data keys are
// re-sealed (KMS to KMS: two ReEncrypts), and a re-seal that would change
// the number of layers is refused before the KMS is asked anything.
func TestEnvelopeResealDSSE(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	keys, dsse := f.newKeys(t, sse.Request{Type: kura.SSEDSSE, KMSKeyID: fakeARN("a")}, "bkt", "obj", alice)
	f.kms.ops()
	enc := dsse
	for _, key := range []string{"b", "a"} {
		next, err := f.env.Reseal(ctx, enc, "bkt", "obj", sse.Request{Type: kura.SSEDSSE, KMSKeyID: fakeARN(key)}, alice)
		if err != nil {
			t.Fatalf("DSSE-KMS to key %s: %v", key, err)
		}
		wantOps(t, "DSSE-KMS to key "+key, f.kms.ops(), []string{"ResolveKey", "ResealDataKey", "ResealDataKey"})
		wantType(t, next, kura.SSEDSSE, fakeARN(key))
		if got, err := f.env.Open(ctx, next, "bkt", "obj", bob); err != nil || !sameKeys(got, keys) {
			t.Fatalf("DSSE-KMS to key %s: Open = %v, keys equal %v", key, err, sameKeys(got, keys))
		}
		f.kms.ops()
		enc = next
	}
	_, kmsEnc := f.newKeys(t, sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("a")}, "bkt", "obj", alice)
	_, s3Enc := f.newKeys(t, sse.Request{}, "bkt", "obj", alice)
	f.kms.ops()
	for _, c := range []struct {
		name   string
		src    kura.Encryption
		target sse.Request
	}{
		{"DSSE-KMS to SSE-KMS", dsse, sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("b")}},
		{"DSSE-KMS to SSE-S3", dsse, sse.Request{Type: kura.SSES3}},
		{"SSE-KMS to DSSE-KMS", kmsEnc, sse.Request{Type: kura.SSEDSSE, KMSKeyID: fakeARN("b")}},
		{"SSE-S3 to DSSE-KMS", s3Enc, sse.Request{Type: kura.SSEDSSE, KMSKeyID: fakeARN("b")}},
	} {
		_, err := f.env.Reseal(ctx, c.src, "bkt", "obj", c.target, alice)
		if !errors.Is(err, sse.ErrLayers) {
			t.Errorf("%s: %v, want ErrLayers", c.name, err)
		}
		wantOps(t, c.name, f.kms.ops(), nil)
	}
	if _, err := f.env.Seal(ctx, sse.DataKeys{DEK: keys.DEK}, sse.Request{Type: kura.SSEDSSE, KMSKeyID: fakeARN("a")}, "bkt", "obj", alice); !errors.Is(err, sse.ErrLayers) {
		t.Errorf("Seal of one key for DSSE-KMS: %v, want ErrLayers", err)
	}
	if _, err := f.env.Seal(ctx, keys, sse.Request{Type: kura.SSES3}, "bkt", "obj", alice); !errors.Is(err, sse.ErrLayers) {
		t.Errorf("Seal of two keys for SSE-S3: %v, want ErrLayers", err)
	}
}

// TestEnvelopeSealForAnother: replication's path — open with one
// envelope, seal with another one (another managed key and KMS), and the
// other opens it.
func TestEnvelopeSealForAnother(t *testing.T) {
	src, dst := newFixture(t), newFixture(t)
	ctx := context.Background()
	for _, target := range []sse.Request{{Type: kura.SSES3}, {Type: kura.SSEKMS, KMSKeyID: "alias/a"}, {Type: kura.SSEKMS, KMSKeyID: "alias/b", BucketKey: &on}} {
		keys, enc := src.newKeys(t, sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("a")}, "bkt", "obj", alice)
		opened, err := src.env.Open(ctx, enc, "bkt", "obj", alice)
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := dst.env.Seal(ctx, opened, target, "bkt", "obj", alice)
		if err != nil {
			t.Fatalf("Seal for %+v: %v", target, err)
		}
		if _, err := src.env.Open(ctx, sealed, "bkt", "obj", alice); err == nil {
			t.Errorf("%s: the source deployment opened the destination's seal", target.Type)
		}
		if got, err := dst.env.Open(ctx, sealed, "bkt", "obj", bob); err != nil || !sameKeys(got, keys) {
			t.Errorf("%s: the destination's Open = %v, keys equal %v", target.Type, err, sameKeys(got, keys))
		}
	}
}

// TestEnvelopeBucketKeyCache: a bucket key is fetched once per bucket,
// KMS key (as named) and requester for writes, once per requester for
// reads, reused for BucketKeyTTL, and fetched again after it.
func TestEnvelopeBucketKeyCache(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bk := func(keyID string) sse.Request { return sse.Request{Type: kura.SSEKMS, KMSKeyID: keyID, BucketKey: &on} }
	var objs []kura.Encryption
	step := func(name string, want []string, fn func()) {
		t.Helper()
		fn()
		wantOps(t, name, f.kms.ops(), want)
	}
	put := func(req sse.Request, bucket string, acc sse.Access) func() {
		return func() {
			_, enc := f.newKeys(t, req, bucket, "obj", acc)
			objs = append(objs, enc)
		}
	}
	open := func(i int, acc sse.Access) func() {
		return func() {
			if _, err := f.env.Open(ctx, objs[i], "bkt", "obj", acc); err != nil {
				t.Fatalf("Open: %v", err)
			}
		}
	}
	gdk := []string{"NewDataKey"}
	step("alice's first write", gdk, put(bk(fakeARN("a")), "bkt", alice))
	step("alice's second write", nil, put(bk(fakeARN("a")), "bkt", alice))
	step("alice's write naming the key by alias", gdk, put(bk("alias/a"), "bkt", alice))
	step("bob's write", gdk, put(bk(fakeARN("a")), "bkt", bob))
	step("alice's write to another bucket", gdk, put(bk(fakeARN("a")), "other", alice))
	if !bytes.Equal(objs[0].BucketKeyBlob, objs[1].BucketKeyBlob) || bytes.Equal(objs[0].BucketKeyBlob, objs[3].BucketKeyBlob) {
		t.Error("alice's writes do not share a bucket key, or share bob's")
	}
	step("alice reads her object", nil, open(0, alice))
	step("bob reads alice's object", []string{"OpenDataKey"}, open(0, bob))
	step("bob reads it again", nil, open(1, bob))
	step("an SSE-S3 object re-sealed under alice's bucket key", []string{"ResolveKey"}, func() {
		_, enc := f.newKeys(t, sse.Request{}, "bkt", "obj", alice)
		if _, err := f.env.Reseal(ctx, enc, "bkt", "obj", bk(fakeARN("a")), alice); err != nil {
			t.Fatal(err)
		}
	})

	// Cached entries are used without a KMS lookup for BucketKeyRecheck,
	// then rechecked (key enabled, requester permitted) before each use.
	f.now = f.now.Add(sse.BucketKeyRecheck - time.Second)
	step("alice writes within the recheck bound", nil, put(bk(fakeARN("a")), "bkt", alice))
	f.now = f.now.Add(sse.BucketKeyTTL - sse.BucketKeyRecheck + time.Second)
	recheck := []string{"ResolveKey", "CheckKeyUse"}
	step("alice writes at the TTL", recheck, put(bk(fakeARN("a")), "bkt", alice))
	step("bob reads at the TTL", recheck, open(0, bob))
	step("bob reads again, just rechecked", nil, open(0, bob))
	f.now = f.now.Add(time.Second)
	step("alice writes after the TTL", gdk, put(bk(fakeARN("a")), "bkt", alice))
	step("bob reads after the TTL", []string{"OpenDataKey"}, open(0, bob))
	step("alice reads her old object", []string{"OpenDataKey"}, open(0, alice))
}

// TestEnvelopeBucketKeyRecheck: a KMS key that stops being usable (here:
// every lookup refused, as for a disabled key) stops working through the
// S3 Bucket Key cache once the entries were last checked BucketKeyRecheck
// ago, for writes and reads; the refusal is the request's answer and the
// entry is dropped.
func TestEnvelopeBucketKeyRecheck(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req := sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("a"), BucketKey: &on}
	_, enc := f.newKeys(t, req, "bkt", "obj", alice)
	if _, err := f.env.Open(ctx, enc, "bkt", "obj", alice); err != nil {
		t.Fatal(err)
	}
	disabled := &fakeError{code: "DisabledException", status: 400}
	f.kms.mu.Lock()
	f.kms.fail["ResolveKey"] = disabled
	f.kms.mu.Unlock()
	// Within the bound the cache still answers (the stated staleness).
	if _, err := f.env.Open(ctx, enc, "bkt", "obj", alice); err != nil {
		t.Fatalf("read within the recheck bound: %v", err)
	}
	f.now = f.now.Add(sse.BucketKeyRecheck)
	if _, err := f.env.Open(ctx, enc, "bkt", "obj", alice); err == nil {
		t.Fatal("read through the cache after the key was disabled: no error")
	}
	if _, _, err := f.env.NewKeys(ctx, req, "bkt", "obj2", alice); err == nil {
		t.Fatal("write through the cache after the key was disabled: no error")
	}
	f.kms.ops()
	f.kms.mu.Lock()
	delete(f.kms.fail, "ResolveKey")
	f.kms.mu.Unlock()
	if _, err := f.env.Open(ctx, enc, "bkt", "obj", alice); err != nil {
		t.Fatalf("read once the key is enabled again: %v", err)
	}
	wantOps(t, "read after the entry was dropped", f.kms.ops(), []string{"OpenDataKey"})
}

// TestEnvelopeKMSErrors: a KMS failure is answered as S3 answers it —
// AccessDeniedException as AccessDenied (403), throttling as SlowDown
// (503), other exceptions as KMS.<Exception> (400), a KMS 5xx or any
// other error as InternalError — whichever envelope operation met it.
func TestEnvelopeKMSErrors(t *testing.T) {
	kmsErrs := []struct {
		err    error
		code   string
		status int
	}{
		{&fakeError{"AccessDeniedException", 400}, "AccessDenied", http.StatusForbidden},
		{&fakeError{"ThrottlingException", 400}, "SlowDown", http.StatusServiceUnavailable},
		{&fakeError{"NotFoundException", 400}, "KMS.NotFoundException", http.StatusBadRequest},
		{&fakeError{"DisabledException", 400}, "KMS.DisabledException", http.StatusBadRequest},
		{&fakeError{"KMSInternalException", 500}, "InternalError", http.StatusInternalServerError},
		{errors.New("connection reset"), "InternalError", http.StatusInternalServerError},
	}
	ops := []struct {
		name, op string
		run      func(f *fixture, src map[string]kura.Encryption) error
	}{
		{"new SSE-KMS key", "NewDataKey", func(f *fixture, _ map[string]kura.Encryption) error {
			_, _, err := f.env.NewKeys(context.Background(), sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("a")}, "bkt", "new", alice)
			return err
		}},
		{"new bucket key", "NewDataKey", func(f *fixture, _ map[string]kura.Encryption) error {
			_, _, err := f.env.NewKeys(context.Background(), sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("b"), BucketKey: &on}, "bkt", "new", alice)
			return err
		}},
		{"open SSE-KMS", "OpenDataKey", func(f *fixture, src map[string]kura.Encryption) error {
			_, err := f.env.Open(context.Background(), src["kms"], "bkt", "obj", alice)
			return err
		}},
		{"open under a bucket key", "OpenDataKey", func(f *fixture, src map[string]kura.Encryption) error {
			_, err := f.env.Open(context.Background(), src["bk"], "bkt", "obj", bob)
			return err
		}},
		{"re-seal: resolving the key", "ResolveKey", func(f *fixture, src map[string]kura.Encryption) error {
			_, err := f.env.Reseal(context.Background(), src["s3"], "bkt", "obj", sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("b")}, alice)
			return err
		}},
		{"re-seal KMS to KMS", "ResealDataKey", func(f *fixture, src map[string]kura.Encryption) error {
			_, err := f.env.Reseal(context.Background(), src["kms"], "bkt", "obj", sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("b")}, alice)
			return err
		}},
		{"re-seal SSE-S3 to KMS", "SealDataKey", func(f *fixture, src map[string]kura.Encryption) error {
			_, err := f.env.Reseal(context.Background(), src["s3"], "bkt", "obj", sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("b")}, alice)
			return err
		}},
		{"key permission check", "CheckKeyUse", func(f *fixture, _ map[string]kura.Encryption) error {
			return f.env.KeyPermitted(context.Background(), alice, fakeARN("a"), nil, "Encrypt")
		}},
		{"key id form check", "CheckKeyID", func(f *fixture, _ map[string]kura.Encryption) error {
			return f.env.CheckKeyID(fakeARN("a"))
		}},
	}
	for _, op := range ops {
		for _, ke := range kmsErrs {
			t.Run(op.name+"/"+ke.code, func(t *testing.T) {
				f := newFixture(t)
				src := map[string]kura.Encryption{}
				_, src["s3"] = f.newKeys(t, sse.Request{}, "bkt", "obj", alice)
				_, src["kms"] = f.newKeys(t, sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("a")}, "bkt", "obj", alice)
				_, src["bk"] = f.newKeys(t, sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("a"), BucketKey: &on}, "bkt", "obj", alice)
				f.kms.fail[op.op] = ke.err
				err := op.run(f, src)
				wantS3Error(t, op.name, err, ke.code, ke.status)
				if !errors.Is(err, ke.err) {
					t.Errorf("%s: %v does not keep the KMS error as its cause", op.name, err)
				}
				if e := s3err.As(err); ke.code == "KMS.NotFoundException" && e.Message != "fake NotFoundException" {
					t.Errorf("%s: message %q, want the KMS's", op.name, e.Message)
				}
			})
		}
	}
}

// TestEnvelopeWithoutKMS: without a KMS, SSE-KMS, DSSE-KMS and re-sealing
// under a KMS key are NotImplemented, while SSE-S3 and SSE-C work.
func TestEnvelopeWithoutKMS(t *testing.T) {
	managed, err := sse.NewManagedKey("k", bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	env := sse.NewEnvelope(sse.EnvelopeConfig{Managed: managed, Region: fakeRegion})
	ctx := context.Background()
	if env.HasKMS() {
		t.Fatal("HasKMS without a KMS")
	}
	_, s3enc, err := env.NewKeys(ctx, sse.Request{}, "bkt", "obj", alice)
	if err != nil {
		t.Fatal(err)
	}
	kmsEnc := kura.Encryption{Type: kura.SSEKMS, SealedKey: []byte{1}, KMSKeyARN: fakeARN("a")}
	for name, fn := range map[string]func() error{
		"new SSE-KMS": func() error {
			_, _, err := env.NewKeys(ctx, sse.Request{Type: kura.SSEKMS}, "bkt", "obj", alice)
			return err
		},
		"new DSSE-KMS": func() error {
			_, _, err := env.NewKeys(ctx, sse.Request{Type: kura.SSEDSSE}, "bkt", "obj", alice)
			return err
		},
		"new bucket key": func() error {
			_, _, err := env.NewKeys(ctx, sse.Request{Type: kura.SSEKMS, BucketKey: &on}, "bkt", "obj", alice)
			return err
		},
		"open SSE-KMS": func() error { _, err := env.Open(ctx, kmsEnc, "bkt", "obj", alice); return err },
		"re-seal to SSE-KMS": func() error {
			_, err := env.Reseal(ctx, s3enc, "bkt", "obj", sse.Request{Type: kura.SSEKMS, KMSKeyID: fakeARN("a")}, alice)
			return err
		},
		"key permission check": func() error { return env.KeyPermitted(ctx, alice, fakeARN("a"), nil, "Encrypt") },
	} {
		wantS3Error(t, name, fn(), "NotImplemented", http.StatusNotImplemented)
	}
	if err := env.CheckKeyID("anything"); err != nil {
		t.Errorf("CheckKeyID without a KMS = %v, want nil (the writes are refused instead)", err)
	}
	if _, err := env.Reseal(ctx, s3enc, "bkt", "obj", sse.Request{Type: kura.SSES3}, alice); err != nil {
		t.Errorf("re-seal SSE-S3 to SSE-S3 without a KMS: %v", err)
	}
}

// TestEnvelopeOpenOffline: fsck's open needs no caller and makes no
// authorized KMS call; a deleted key is told apart from damage.
func TestEnvelopeOpenOffline(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, req := range []sse.Request{{Type: kura.SSES3}, {Type: kura.SSEKMS, KMSKeyID: "alias/a"},
		{Type: kura.SSEKMS, KMSKeyID: "alias/a", BucketKey: &on}, {Type: kura.SSEDSSE, KMSKeyID: "alias/b"}} {
		keys, enc := f.newKeys(t, req, "bkt", "obj", alice)
		f.kms.ops()
		got, err := f.env.OpenOffline(ctx, enc, "bkt", "obj")
		if err != nil || !sameKeys(got, keys) {
			t.Errorf("%s (bucket key %v): OpenOffline = %v, keys equal %v", req.Type, req.BucketKey != nil, err, sameKeys(got, keys))
		}
		for _, op := range f.kms.ops() {
			if op != "UnsealOffline" {
				t.Errorf("%s: OpenOffline called %s", req.Type, op)
			}
		}
	}
	_, cenc := f.newKeys(t, f.sseC(), "bkt", "obj", alice)
	if _, err := f.env.OpenOffline(ctx, cenc, "bkt", "obj"); !errors.Is(err, sse.ErrCustomerKeyNeeded) {
		t.Errorf("SSE-C: OpenOffline = %v, want ErrCustomerKeyNeeded", err)
	}
	_, kenc := f.newKeys(t, sse.Request{Type: kura.SSEKMS, KMSKeyID: "alias/b"}, "bkt", "obj", alice)
	online := sse.NewEnvelope(sse.EnvelopeConfig{KMS: onlineKMS{f.kms}, Region: fakeRegion})
	if _, err := online.OpenOffline(ctx, kenc, "bkt", "obj"); err == nil {
		t.Error("OpenOffline through a KMS that cannot unseal offline succeeded")
	}
	f.kms.deleteKey("b")
	if _, err := f.env.OpenOffline(ctx, kenc, "bkt", "obj"); !errors.Is(err, sse.ErrKeyDeleted) {
		t.Errorf("deleted key: OpenOffline = %v, want ErrKeyDeleted", err)
	}
}

// TestDataKeysForPart: each part has its own key, derived the same way
// every time, and DSSE's second layer is derived alike.
func TestDataKeysForPart(t *testing.T) {
	k := sse.DataKeys{DEK: bytes.Repeat([]byte{1}, 32), DEK2: bytes.Repeat([]byte{2}, 32)}
	p1, p2 := k.ForPart(1), k.ForPart(2)
	if !sameKeys(p1, k.ForPart(1)) || sameKeys(p1, p2) || bytes.Equal(p1.DEK, k.DEK) || bytes.Equal(p1.DEK, p1.DEK2) {
		t.Fatal("part keys are not distinct and deterministic")
	}
	if single := (sse.DataKeys{DEK: k.DEK}).ForPart(1); single.DEK2 != nil || !bytes.Equal(single.DEK, p1.DEK) {
		t.Fatal("a single-layer part key differs from the first layer's")
	}
}

func encrypt(t *testing.T, plaintext, dek []byte) []byte {
	t.Helper()
	r, err := sse.EncryptReader(bytes.NewReader(plaintext), dek)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decrypt(t *testing.T, blob []byte, n int, dek []byte) []byte {
	t.Helper()
	r, err := sse.DecryptRange(bytes.NewReader(blob), int64(len(blob)), dek, 0, int64(n))
	if err != nil {
		return nil
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil
	}
	return b
}
