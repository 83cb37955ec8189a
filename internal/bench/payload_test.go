package bench

import (
	"bytes"
	"io"
	"testing"
)

func TestRepeatReader(t *testing.T) {
	block := []byte("0123456789")
	r := &repeatReader{block: block, size: 25}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "0123456789012345678901234" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	if n, err := r.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Errorf("Read at end = %d, %v; want 0, EOF", n, err)
	}
	// Seeking is what the SDK does to measure the length and to rewind
	// after hashing a signed payload.
	if end, err := r.Seek(0, io.SeekEnd); end != 25 || err != nil {
		t.Errorf("Seek end = %d, %v", end, err)
	}
	if pos, err := r.Seek(13, io.SeekStart); pos != 13 || err != nil {
		t.Errorf("Seek start = %d, %v", pos, err)
	}
	buf := make([]byte, 5)
	if n, _ := io.ReadFull(r, buf); n != 5 || string(buf) != "34567" {
		t.Errorf("after seek read %q", buf[:n])
	}
	if pos, _ := r.Seek(-3, io.SeekCurrent); pos != 15 {
		t.Errorf("Seek current = %d, want 15", pos)
	}
	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Error("negative seek succeeded")
	}
}

func TestPayloadReaders(t *testing.T) {
	p := newPayload(4096)
	if p.data == nil || p.block != nil {
		t.Fatal("small payload not held in memory")
	}
	a, _ := io.ReadAll(p.reader())
	b, _ := io.ReadAll(p.reader())
	if len(a) != 4096 || !bytes.Equal(a, b) {
		t.Errorf("in-memory readers give %d bytes, equal=%v", len(a), bytes.Equal(a, b))
	}
	if bytes.Equal(a, make([]byte, 4096)) {
		t.Error("payload is all zeros, not random")
	}

	z, _ := io.ReadAll(newPayload(0).reader())
	if len(z) != 0 {
		t.Errorf("empty payload read %d bytes", len(z))
	}

	old := streamThreshold
	streamThreshold = 100
	defer func() { streamThreshold = old }()
	big := newPayload(3*repeatBlockSize + 7)
	if big.data != nil || len(big.block) != repeatBlockSize {
		t.Fatal("large payload not streamed")
	}
	n, err := io.Copy(io.Discard, big.reader())
	if err != nil || n != 3*repeatBlockSize+7 {
		t.Errorf("streamed payload = %d bytes, %v", n, err)
	}
}
