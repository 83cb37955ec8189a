package policy

import "sync"

// Cache keeps compiled documents by their text and kind, so that a policy
// read from the metadata store on every request (a bucket policy, a user's
// policies) is parsed and compiled once rather than per request. Keying by
// the text itself makes it impossible to serve a stale document: a changed
// policy is a different key. It is safe for concurrent use; the zero value
// is ready and holds up to DefaultCacheSize documents.
type Cache struct {
	// Max bounds the number of documents kept; 0 means DefaultCacheSize.
	// When it is reached the cache starts over, which costs one parse per
	// policy in use and keeps memory bounded whatever clients store.
	Max int

	mu   sync.RWMutex
	docs map[cacheKey]cached
}

// DefaultCacheSize is the default bound of a Cache.
const DefaultCacheSize = 4096

type cacheKey struct {
	kind Kind
	text string
}

type cached struct {
	doc *Document
	err error
}

// Parse is policy.Parse through the cache. Rejections are cached too: a
// stored document that does not parse keeps not parsing.
func (c *Cache) Parse(text string, kind Kind) (*Document, error) {
	k := cacheKey{kind, text}
	c.mu.RLock()
	e, ok := c.docs[k]
	c.mu.RUnlock()
	if ok {
		return e.doc, e.err
	}
	doc, err := Parse([]byte(text), kind)
	max := c.Max
	if max <= 0 {
		max = DefaultCacheSize
	}
	c.mu.Lock()
	if c.docs == nil || len(c.docs) >= max {
		c.docs = make(map[cacheKey]cached)
	}
	c.docs[k] = cached{doc, err}
	c.mu.Unlock()
	return doc, err
}

// ParseAll parses several documents of one kind through the cache. The
// first one that does not parse fails the whole set: a caller must not
// evaluate a set with a document missing from it, since that document
// might have held a Deny.
func (c *Cache) ParseAll(texts []string, kind Kind) ([]*Document, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	out := make([]*Document, 0, len(texts))
	for _, t := range texts {
		d, err := c.Parse(t, kind)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}
