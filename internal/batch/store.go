package batch

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/kurastore/kura/internal/meta"
)

// Rows of the batch tables (meta.TableBatchJobs, TableBatchTokens,
// TableBatchChunks): the only code that reads and writes them.

func jobKey(account, id string) []byte { return []byte(account + "\x00" + id) }

func chunkKey(id string, n int64) []byte {
	k := append([]byte(id), 0)
	return binary.BigEndian.AppendUint64(k, uint64(n))
}

// getJob reads a job; nil when there is none.
func getJob(tx meta.Tx, account, id string) (*jobRecord, error) {
	raw, err := tx.Get(meta.TableBatchJobs, jobKey(account, id))
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r jobRecord
	if err := meta.Decode(raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func putJob(tx meta.Tx, r *jobRecord) error {
	raw, err := meta.Encode(r)
	if err != nil {
		return err
	}
	return tx.Put(meta.TableBatchJobs, jobKey(r.Account, r.ID), raw)
}

// eachJob calls fn for every job of account ("" for every account) in
// key order, starting after the job after (of the same account).
func eachJob(tx meta.Tx, account, after string, fn func(*jobRecord) (more bool, err error)) error {
	prefix := []byte{}
	if account != "" {
		prefix = []byte(account + "\x00")
	}
	from := prefix
	if after != "" {
		from = append(jobKey(account, after), 0)
	}
	c := tx.Cursor(meta.TableBatchJobs)
	for k, v := c.Seek(from); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var r jobRecord
		if err := meta.Decode(v, &r); err != nil {
			return err
		}
		if more, err := fn(&r); err != nil || !more {
			return err
		}
	}
	return nil
}

func getToken(tx meta.Tx, account, token string) (*tokenRecord, error) {
	raw, err := tx.Get(meta.TableBatchTokens, jobKey(account, token))
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r tokenRecord
	return &r, meta.Decode(raw, &r)
}

func putToken(tx meta.Tx, account, token string, r tokenRecord) error {
	raw, err := meta.Encode(r)
	if err != nil {
		return err
	}
	return tx.Put(meta.TableBatchTokens, jobKey(account, token), raw)
}

func putChunk(tx meta.Tx, id string, n int64, r chunkRecord) error {
	raw, err := meta.Encode(r)
	if err != nil {
		return err
	}
	return tx.Put(meta.TableBatchChunks, chunkKey(id, n), raw)
}

// eachChunk calls fn for the chunks of job id in order.
func eachChunk(tx meta.Tx, id string, fn func(n int64, r *chunkRecord) error) error {
	prefix := append([]byte(id), 0)
	c := tx.Cursor(meta.TableBatchChunks)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var r chunkRecord
		if err := meta.Decode(v, &r); err != nil {
			return err
		}
		if err := fn(int64(binary.BigEndian.Uint64(k[len(prefix):])), &r); err != nil {
			return err
		}
	}
	return nil
}
