package s3control

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura/internal/s3err"
)

// Request bodies are read into a small element tree and then walked with
// the model's shape in hand (decode.go), rather than unmarshalled into
// structs: encoding/xml drops elements a struct does not name, and S3
// Control must name them instead ("S3UpdateObjectEncryption has no
// element ServerSideEncryption; valid: ObjectEncryption"), the way the
// seed's use case shows clients get them wrong.

// Limits of a request body's tree: CreateJob with every member set is a
// few KiB; these leave room for 50 tags and long metadata without letting
// a body cost more than it must.
const (
	maxBody     = 1 << 20
	maxDepth    = 32
	maxElements = 20000
)

// node is one XML element: its local name, its text (direct character
// data, untrimmed) and its children in order. Namespaces are ignored, as
// S3 parses leniently.
type node struct {
	name string
	text string
	kids []*node
}

// parseTree reads one XML document's root element.
func parseTree(b []byte) (*node, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, s3err.MalformedXML.WithMessage("The request body is empty: this operation needs an XML document.")
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	var stack []*node
	var root *node
	count := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, s3err.MalformedXML.Wrap(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, s3err.MalformedXML.WithMessage("The XML document has more than one root element.")
			}
			count++
			if len(stack) >= maxDepth || count > maxElements {
				return nil, s3err.MalformedXML.WithMessage("The XML document is nested too deeply or has too many elements.")
			}
			n := &node{name: t.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, s3err.MalformedXML.WithMessage("The XML document has text outside its root element.")
			}
		}
	}
	if root == nil {
		return nil, s3err.MalformedXML.WithMessage("The request body has no XML element.")
	}
	return root, nil
}

// reader walks one element with the shape it should have. Every child a
// caller asks for is noted; done reports a child nobody asked for, naming
// the ones that are valid there. Problems are collected in the shared
// problems rather than returned, so decoders read as a plain list of
// members, and one answer names several mistakes (seed 000's request has
// three).
type reader struct {
	n     *node
	path  string // Operation/S3UpdateObjectEncryption, for messages; "" at the root
	err   *problems
	asked []string
}

// problems is what a document's decoding found wrong: the first error,
// with the messages of up to maxProblems invalid values in one
// InvalidRequest.
type problems struct {
	first *s3err.Error
	n     int
}

const maxProblems = 5

func (p *problems) add(e *s3err.Error) {
	switch {
	case p.first == nil:
		p.first, p.n = e, 1
	case strings.Contains(p.first.Message, e.Message):
		// Found again (an element checked twice).
	case p.first.Code == s3err.InvalidRequest.Code && e.Code == s3err.InvalidRequest.Code && p.n < maxProblems:
		p.first, p.n = p.first.WithMessage("%s %s", p.first.Message, e.Message), p.n+1
	}
}

// error is the document's error, nil if it has none.
func (p *problems) error() error {
	if p.first == nil {
		return nil
	}
	return p.first
}

func newReader(n *node, p *problems) *reader {
	return &reader{n: n, err: p}
}

// where names the element in messages: its path, or the root's name.
func (r *reader) where() string {
	if r.path == "" {
		return r.n.name
	}
	return r.path
}

// sub is the path of a child named name.
func (r *reader) sub(name string) string {
	if r.path == "" {
		return name
	}
	return r.path + "/" + name
}

func (r *reader) fail(e *s3err.Error) { r.err.add(e) }

func (r *reader) failf(format string, args ...any) {
	r.fail(s3err.InvalidRequest.WithMessage(format, args...))
}

// child is the element named name, nil if absent; twice is an error.
func (r *reader) child(name string) *reader {
	r.asked = append(r.asked, name)
	var found *node
	for _, k := range r.n.kids {
		if k.name != name {
			continue
		}
		if found != nil {
			r.fail(s3err.MalformedXML.WithMessage("%s appears more than once.", r.sub(name)))
			return nil
		}
		found = k
	}
	if found == nil {
		return nil
	}
	return &reader{n: found, path: r.sub(name), err: r.err}
}

// required is child, with a missing element reported.
func (r *reader) required(name string) *reader {
	c := r.child(name)
	if c == nil {
		r.failf("%s is required.", r.sub(name))
	}
	return c
}

// done checks that every child of the element was asked for.
func (r *reader) done() {
	if r == nil {
		return
	}
	for _, k := range r.n.kids {
		if !contains(r.asked, k.name) {
			if len(r.asked) == 0 {
				r.failf("%s takes no elements, but has %s.", r.where(), k.name)
			} else {
				r.failf("%s has no element %s; valid elements are: %s.", r.where(), k.name, strings.Join(r.asked, ", "))
			}
			return
		}
	}
}

// leaf is the element's text, and an error if it has children.
func (r *reader) leaf() string {
	if len(r.n.kids) > 0 {
		r.failf("%s must be a value, not hold elements (it has %s).", r.path, r.n.kids[0].name)
	}
	return strings.TrimSpace(r.n.text)
}

// str is the text of child name ("" if absent) checked against the
// model's length bounds (max 0: none). A present but empty element with
// min 1 is an error, as S3 gives it.
func (r *reader) str(name string, min, max int) string {
	c := r.child(name)
	if c == nil {
		return ""
	}
	return c.strValue(min, max)
}

func (r *reader) strValue(min, max int) string {
	v := r.leaf()
	switch n := len(v); {
	case n < min:
		r.failf("%s must be at least %d characters long.", r.path, min)
	case max > 0 && n > max:
		r.failf("%s must be at most %d characters long.", r.path, max)
	}
	return v
}

// reqStr is str for a required member.
func (r *reader) reqStr(name string, min, max int) string {
	c := r.required(name)
	if c == nil {
		return ""
	}
	return c.strValue(min, max)
}

// enum is the text of child name, which must be one of valid ("" if
// absent).
func (r *reader) enum(name string, valid []string) string {
	c := r.child(name)
	if c == nil {
		return ""
	}
	return c.enumValue(valid)
}

func (r *reader) enumValue(valid []string) string {
	v := r.leaf()
	if !contains(valid, v) {
		r.failf("%s %q is not valid; valid values are: %s.%s", r.path, v, strings.Join(valid, ", "), hints[v])
	}
	return v
}

// boolean is child name as xsd:boolean, nil if absent.
func (r *reader) boolean(name string) *bool {
	c := r.child(name)
	if c == nil {
		return nil
	}
	b, ok := parseBool(c.leaf())
	if !ok {
		c.failf("%s must be true or false.", c.path)
	}
	return &b
}

// flag is boolean with absent meaning false.
func (r *reader) flag(name string) bool {
	b := r.boolean(name)
	return b != nil && *b
}

func parseBool(s string) (bool, bool) {
	switch s {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// integer is child name as a whole number within [min, max], nil if
// absent.
func (r *reader) integer(name string, min, max int64) *int64 {
	c := r.child(name)
	if c == nil {
		return nil
	}
	v, err := strconv.ParseInt(c.leaf(), 10, 64)
	if err != nil || v < min || v > max {
		if max == math.MaxInt64 {
			c.failf("%s must be a whole number of at least %d.", c.path, min)
		} else {
			c.failf("%s must be a whole number from %d to %d.", c.path, min, max)
		}
	}
	return &v
}

// timestamp is child name as an ISO 8601 time (rest-xml's timestamp
// format), zero if absent.
func (r *reader) timestamp(name string) time.Time {
	c := r.child(name)
	if c == nil {
		return time.Time{}
	}
	t, err := parseTime(c.leaf())
	if err != nil {
		c.failf("%s must be an ISO 8601 time such as 2026-01-02T15:04:05Z.", c.path)
	}
	return t
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 time: %q", s)
}

// list calls each for every member of the list element name (children
// of any name: SDKs write <member>, the API reference shows the shape's
// name; S3 reads either). It returns whether the list was present.
func (r *reader) list(name string, each func(m *reader)) bool {
	c := r.child(name)
	if c == nil {
		return false
	}
	if strings.TrimSpace(c.n.text) != "" {
		c.failf("%s must be a list of elements, not text.", c.path)
	}
	for i, k := range c.n.kids {
		each(&reader{n: k, path: fmt.Sprintf("%s[%d]", c.path, i+1), err: r.err})
	}
	return true
}

// strList is list of strings within [min, max] characters.
func (r *reader) strList(name string, min, max int) []string {
	var out []string
	r.list(name, func(m *reader) { out = append(out, m.strValue(min, max)) })
	return out
}

// enumList is list of values each in valid.
func (r *reader) enumList(name string, valid []string) []string {
	var out []string
	r.list(name, func(m *reader) { out = append(out, m.enumValue(valid)) })
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
