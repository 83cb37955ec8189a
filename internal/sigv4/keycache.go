package sigv4

import (
	"crypto/subtle"
	"sync"
)

// keyCache remembers the signing keys derived for recent credential
// scopes. Deriving one is four HMAC-SHA256s of its own, each with its
// allocations, on every request; a client signs all of a day's requests
// in one region and service under the same key, as AWS's own SDKs cache
// it. An entry answers only for the same access key, date, region and
// service and for the very secret Lookup returned for this request, so a
// changed or revoked secret is never served from it; it holds secrets as
// the credential store does, in memory only, never logged.
type keyCache struct {
	mu sync.Mutex
	m  map[keyScope]cachedKey
}

type keyScope struct{ accessKey, date, region, service string }

type cachedKey struct {
	secret string
	key    [32]byte
}

// maxCachedKeys bounds the cache (a scope per access key and day, in
// practice); when full it starts over. Only keys whose Lookup succeeded
// enter it.
const maxCachedKeys = 1024

// signingKey is signingKey(secret, c), derived once per scope and secret.
func (kc *keyCache) signingKey(secret string, c Credential) []byte {
	id := keyScope{c.AccessKey, c.Date, c.Region, c.Service}
	kc.mu.Lock()
	e, ok := kc.m[id]
	kc.mu.Unlock()
	if ok && subtle.ConstantTimeCompare([]byte(e.secret), []byte(secret)) == 1 {
		return e.key[:]
	}
	k := signingKey(secret, c)
	kc.mu.Lock()
	if kc.m == nil || len(kc.m) >= maxCachedKeys {
		kc.m = make(map[keyScope]cachedKey)
	}
	kc.m[id] = cachedKey{secret: secret, key: [32]byte(k)}
	kc.mu.Unlock()
	return k
}
