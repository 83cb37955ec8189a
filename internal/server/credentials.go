package server

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
)

// RootCredentials are the first account's root access key pair.
type RootCredentials struct {
	AccountID string `json:"account_id"`
	AccessKey string `json:"access_key,omitempty"`
	SecretKey string `json:"secret_key,omitempty"`
	// Generated is true when the pair was created by this start (so it is
	// printed once); false when it came from the environment or an earlier
	// start.
	Generated bool `json:"-"`
	// FromEnv is true when the pair came from KURA_ROOT_ACCESS_KEY/SECRET_KEY.
	FromEnv bool `json:"-"`
	// Path is the file that keeps them (root-credentials.json in the data
	// dir): the account id always, the key pair unless FromEnv.
	Path string `json:"-"`
}

const credentialsFile = "root-credentials.json"

// loadRootCredentials returns the root credentials: from accessKey/secretKey
// when given (the environment), else from the data dir, else generated and
// persisted with mode 0600. The account id is persisted either way so
// bucket ownership survives a change of keys.
func loadRootCredentials(dataDir, accessKey, secretKey string) (*RootCredentials, error) {
	path := filepath.Join(dataDir, credentialsFile)
	var stored RootCredentials
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &stored); err != nil {
			return nil, fmt.Errorf("read %s: %w (fix or remove the file)", path, err)
		}
	case errors.Is(err, os.ErrNotExist):
	default:
		return nil, err
	}
	if (accessKey == "") != (secretKey == "") {
		return nil, errors.New("set both KURA_ROOT_ACCESS_KEY and KURA_ROOT_SECRET_KEY, or neither")
	}
	creds := stored
	creds.Path = path
	dirty := false
	if creds.AccountID == "" {
		creds.AccountID = randomDigits(12)
		dirty = true
	}
	switch {
	case accessKey != "":
		if len(secretKey) < 8 {
			return nil, errors.New("KURA_ROOT_SECRET_KEY must be at least 8 characters")
		}
		creds.AccessKey, creds.SecretKey, creds.FromEnv = accessKey, secretKey, true
	case creds.AccessKey == "":
		creds.AccessKey = "KURA" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
		creds.SecretKey = randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
		creds.Generated = true
		dirty = true
	}
	if dirty {
		toStore := RootCredentials{AccountID: creds.AccountID}
		if !creds.FromEnv {
			toStore.AccessKey, toStore.SecretKey = creds.AccessKey, creds.SecretKey
		}
		out, _ := json.MarshalIndent(toStore, "", "  ")
		if err := writeFileAtomic(path, append(out, '\n'), 0o600); err != nil {
			return nil, err
		}
	}
	return &creds, nil
}

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		x, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[x.Int64()]
	}
	return string(b)
}

func randomDigits(n int) string {
	s := randomString(n, "0123456789")
	if s[0] == '0' {
		s = "1" + s[1:]
	}
	return s
}

// writeFileAtomic writes data to path via a synced temp file and rename.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
