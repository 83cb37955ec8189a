package meta

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// The tagged binary encoding of record version 2 (docs/formats.md,
// "Binary records (version 2)"): a record is a sequence of fields, each a
// key — uvarint(tag<<3 | wire type) — then its value: a uvarint (wire type
// 0) or a uvarint length and that many bytes (wire type 2). It is the
// field layout of Protocol Buffers, written by hand: a reader skips a field
// whose tag it does not know, so fields can be added without a new record
// version, and zero values are left out.
//
// enc appends fields and keeps the first error (a time JSON could not
// have stored either), so that each field of a record is one line of its
// encoder; dec reads fields one at a time, with the same sticky error, so
// each field is one case of its decoder's switch.

const (
	wireVarint = 0
	wireBytes  = 2
)

var errBadRecord = errors.New("meta: malformed binary record")

type enc struct {
	b   []byte
	err error
}

func (e *enc) key(tag uint64, wt byte) { e.b = binary.AppendUvarint(e.b, tag<<3|uint64(wt)) }

func (e *enc) uint(tag, u uint64) {
	if u != 0 {
		e.key(tag, wireVarint)
		e.b = binary.AppendUvarint(e.b, u)
	}
}

// int writes a signed value zigzag-encoded, as uvarint(n<<1 ^ n>>63).
func (e *enc) int(tag uint64, n int64) { e.uint(tag, uint64(n<<1)^uint64(n>>63)) }

func (e *enc) bool(tag uint64, v bool) {
	if v {
		e.uint(tag, 1)
	}
}

func (e *enc) str(tag uint64, s string) {
	if s != "" {
		e.key(tag, wireBytes)
		e.b = binary.AppendUvarint(e.b, uint64(len(s)))
		e.b = append(e.b, s...)
	}
}

// bytes writes b when it is not empty: it reads back as nil when empty,
// like a JSON field with omitempty.
func (e *enc) bytes(tag uint64, b []byte) {
	if len(b) != 0 {
		e.key(tag, wireBytes)
		e.b = binary.AppendUvarint(e.b, uint64(len(b)))
		e.b = append(e.b, b...)
	}
}

// bytesOrNil writes b unless it is nil, so an empty b reads back empty,
// like a JSON field without omitempty (null and "").
func (e *enc) bytesOrNil(tag uint64, b []byte) {
	if b != nil {
		e.key(tag, wireBytes)
		e.b = binary.AppendUvarint(e.b, uint64(len(b)))
		e.b = append(e.b, b...)
	}
}

// begin starts a nested message under tag; end closes it. The length is
// written in one byte, and the body moved when it needs more.
func (e *enc) begin(tag uint64) int {
	e.key(tag, wireBytes)
	e.b = append(e.b, 0)
	return len(e.b)
}

func (e *enc) end(start int) {
	n := len(e.b) - start
	if n < 0x80 {
		e.b[start-1] = byte(n)
		return
	}
	var l [binary.MaxVarintLen64]byte
	ll := binary.PutUvarint(l[:], uint64(n))
	e.b = append(e.b, l[1:ll]...) // room for the longer length
	copy(e.b[start-1+ll:], e.b[start:start+n])
	copy(e.b[start-1:], l[:ll])
}

// The range of times encoding/json writes (years 0 to 9999 in the time's
// own zone, zone offsets under 24 hours): version 2 refuses what version 1
// could not have stored, so every record reads back the same in both.
const (
	minTimeSec = -62167219200 - 86400 // 0000-01-01T00:00:00Z, less a day of zone offset
	maxTimeSec = 253402300799 + 86400 // 9999-12-31T23:59:59Z, plus a day
)

func timeInRange(t time.Time, off int) bool {
	y := t.Year()
	return y >= 0 && y <= 9999 && off > -86400 && off < 86400
}

// time writes t as a bytes field of three varints: zigzag Unix seconds,
// nanoseconds, zigzag zone offset in seconds (0: UTC). The zero time in
// UTC is left out and reads back as time.Time{}; a zone's name is not
// kept (JSON keeps only the offset too).
func (e *enc) time(tag uint64, t time.Time) {
	_, off := t.Zone()
	if t.IsZero() && off == 0 {
		return
	}
	if !timeInRange(t, off) {
		if e.err == nil {
			e.err = fmt.Errorf("meta: time %v out of the range a record can hold", t)
		}
		return
	}
	sec := t.Unix()
	s := e.begin(tag)
	e.b = binary.AppendUvarint(e.b, uint64(sec<<1)^uint64(sec>>63))
	e.b = binary.AppendUvarint(e.b, uint64(t.Nanosecond()))
	o := int64(off)
	e.b = binary.AppendUvarint(e.b, uint64(o<<1)^uint64(o>>63))
	e.end(s)
}

// dec reads the fields of one message: after next returns true, tag is
// the field's tag and the typed getters return its value, failing (the
// shared error) when the wire type is not theirs. It reads a string, the
// record converted once, so that the record's strings are substrings of
// it: one allocation for all of them, and nothing aliases the caller's
// bytes (a RawVersion is valid only in its transaction).
type dec struct {
	s   string
	err *error

	tag uint64
	wt  byte
	u   uint64 // value of a varint field
	val string // value of a bytes field
}

func newDec(s string, err *error) dec { return dec{s: s, err: err} }

func (d *dec) fail() {
	if *d.err == nil {
		*d.err = errBadRecord
	}
}

// uvarint is binary.Uvarint on a string (or bytes).
func uvarint[T string | []byte](s T) (uint64, int) {
	var x uint64
	var sh uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -1
			}
			return x | uint64(c)<<sh, i + 1
		}
		x |= uint64(c&0x7f) << sh
		sh += 7
	}
	return 0, -1
}

// topField is the extent of one top-level field of a record: the whole
// field [start, end) and its value [val, end).
type topField struct{ start, val, end int }

// findField returns the one top-level bytes field with tag in b. ok is
// false when there is none, more than one, or b does not parse as a
// sequence of fields by dec.next's rules (the decoder then reads all of b
// and reports what is wrong).
func findField(b []byte, tag uint64) (f topField, ok bool) {
	for i := 0; i < len(b); {
		start := i
		k, n := uvarint(b[i:])
		if n <= 0 || k>>3 == 0 {
			return topField{}, false
		}
		i += n
		switch k & 7 {
		case wireVarint:
			if _, n = uvarint(b[i:]); n <= 0 {
				return topField{}, false
			}
			i += n
		case wireBytes:
			l, n := uvarint(b[i:])
			if n <= 0 || l > uint64(len(b)-i-n) {
				return topField{}, false
			}
			i += n
			if k>>3 == tag {
				if ok {
					return topField{}, false
				}
				f, ok = topField{start: start, val: i, end: i + int(l)}, true
			}
			i += int(l)
		default:
			return topField{}, false
		}
	}
	return f, ok
}

func (d *dec) next() bool {
	if *d.err != nil || len(d.s) == 0 {
		return false
	}
	k, n := uvarint(d.s)
	if n <= 0 || k>>3 == 0 {
		d.fail()
		return false
	}
	d.s = d.s[n:]
	d.tag, d.wt = k>>3, byte(k&7)
	switch d.wt {
	case wireVarint:
		d.u, n = uvarint(d.s)
		if n <= 0 {
			d.fail()
			return false
		}
		d.s = d.s[n:]
	case wireBytes:
		l, n := uvarint(d.s)
		if n <= 0 || l > uint64(len(d.s)-n) {
			d.fail()
			return false
		}
		d.val = d.s[n : n+int(l)]
		d.s = d.s[n+int(l):]
	default:
		d.fail()
		return false
	}
	return true
}

func (d *dec) uint() uint64 {
	if d.wt != wireVarint {
		d.fail()
		return 0
	}
	return d.u
}

func (d *dec) int64() int64 {
	u := d.uint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *dec) int() int {
	n := d.int64()
	if n < math.MinInt || n > math.MaxInt {
		d.fail()
	}
	return int(n)
}

func (d *dec) bool() bool {
	u := d.uint()
	if u > 1 {
		d.fail()
	}
	return u == 1
}

func (d *dec) str() string {
	if d.wt != wireBytes {
		d.fail()
		return ""
	}
	return d.val
}

// bytes returns the value, nil when empty (enc.bytes).
func (d *dec) bytes() []byte {
	if r := d.str(); r != "" {
		return []byte(r)
	}
	return nil
}

// bytesOrNil returns the value, empty and not nil when empty
// (enc.bytesOrNil).
func (d *dec) bytesOrNil() []byte {
	r := d.str()
	if *d.err != nil {
		return nil
	}
	return append(make([]byte, 0, len(r)), r...)
}

// msg returns a decoder of the nested message in the field.
func (d *dec) msg() dec { return newDec(d.str(), d.err) }

func (d *dec) time() time.Time {
	r := d.str()
	var v [3]uint64
	for i := range v {
		u, n := uvarint(r)
		if n <= 0 {
			d.fail()
			return time.Time{}
		}
		v[i], r = u, r[n:]
	}
	sec, nsec, off := int64(v[0]>>1)^-int64(v[0]&1), v[1], int64(v[2]>>1)^-int64(v[2]&1)
	if len(r) != 0 || nsec >= 1e9 || sec < minTimeSec || sec > maxTimeSec || off <= -86400 || off >= 86400 {
		d.fail()
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec)).UTC()
	if off != 0 {
		t = t.In(time.FixedZone("", int(off)))
	}
	if !timeInRange(t, int(off)) {
		d.fail()
		return time.Time{}
	}
	return t
}
