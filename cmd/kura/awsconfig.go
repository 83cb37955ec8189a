package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The client commands find their endpoint, credentials and region the way
// the aws CLI does, so that a shell set up for `aws --endpoint-url …`
// (or with AWS_ENDPOINT_URL, or a profile) works with kura as it is:
//
//	endpoint:    --endpoint, $AWS_ENDPOINT_URL_<SERVICE>, $AWS_ENDPOINT_URL, the
//	             profile's endpoint_url, else http://127.0.0.1:8420 (a local kura server)
//	credentials: --access-key/--secret-key; with --profile, that profile; else
//	             $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY/$AWS_SESSION_TOKEN;
//	             else the profile ($AWS_PROFILE, else default) in
//	             $AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), then
//	             $AWS_CONFIG_FILE (~/.aws/config)
//	region:      --region, $AWS_REGION, $AWS_DEFAULT_REGION, the profile's region, us-east-1
//	CA bundle:   --ca-bundle, $AWS_CA_BUNDLE, the profile's ca_bundle
//
// $AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips the environment's and
// the profile's endpoints, as in the aws CLI. Profiles that need more
// than static keys (role_arn, sso_*, credential_process) are not
// supported: the error says so.

// defaultEndpoint is where `kura server` listens by default.
const defaultEndpoint = "http://127.0.0.1:8420"

// awsInput is what a command was given: its flags, and where the
// environment comes from (tests give their own).
type awsInput struct {
	Service                        string // S3, KMS, IAM: for AWS_ENDPOINT_URL_<SERVICE>
	Endpoint, AccessKey, SecretKey string
	Region, Profile, CABundle      string
	Getenv                         func(string) string
	Home                           string
}

// awsSettings is what a client connects with.
type awsSettings struct {
	Endpoint                           string
	AccessKey, SecretKey, SessionToken string
	Region, CABundle                   string
	// CredentialSource says where the credentials came from, for errors.
	CredentialSource string
}

// resolveAWS applies the aws CLI's order; see the comment above.
func resolveAWS(in awsInput) (awsSettings, error) {
	getenv := in.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	home := in.Home
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	profileName, explicit := in.Profile, in.Profile != ""
	if profileName == "" {
		profileName = getenv("AWS_PROFILE")
	}
	namedByEnv := profileName != "" && !explicit
	if profileName == "" {
		profileName = "default"
	}
	credsFile := firstNonEmpty(getenv("AWS_SHARED_CREDENTIALS_FILE"), filepath.Join(home, ".aws", "credentials"))
	configFile := firstNonEmpty(getenv("AWS_CONFIG_FILE"), filepath.Join(home, ".aws", "config"))
	credsSec, credsFound, err := iniSection(credsFile, profileName)
	if err != nil {
		return awsSettings{}, err
	}
	cfgName := "profile " + profileName
	if profileName == "default" {
		cfgName = "default"
	}
	cfgSec, cfgFound, err := iniSection(configFile, cfgName)
	if err != nil {
		return awsSettings{}, err
	}
	if (explicit || namedByEnv) && profileName != "default" && !credsFound && !cfgFound {
		return awsSettings{}, fmt.Errorf("profile %q is not in %s or %s (set up with `aws configure --profile %s`)",
			profileName, credsFile, configFile, profileName)
	}
	prof := func(k string) string { return firstNonEmpty(credsSec[k], cfgSec[k]) }

	var s awsSettings
	switch {
	case in.AccessKey != "" || in.SecretKey != "":
		s.AccessKey, s.SecretKey, s.CredentialSource = in.AccessKey, in.SecretKey, "--access-key/--secret-key"
	case !explicit && getenv("AWS_ACCESS_KEY_ID") != "" && getenv("AWS_SECRET_ACCESS_KEY") != "":
		s.AccessKey, s.SecretKey, s.SessionToken = getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")
		s.CredentialSource = "$AWS_ACCESS_KEY_ID"
	case prof("aws_access_key_id") != "":
		s.AccessKey, s.SecretKey, s.SessionToken = prof("aws_access_key_id"), prof("aws_secret_access_key"), prof("aws_session_token")
		s.CredentialSource = "profile " + profileName
	}
	if s.AccessKey == "" || s.SecretKey == "" {
		for _, k := range []string{"role_arn", "sso_session", "sso_start_url", "credential_process", "web_identity_token_file"} {
			if prof(k) != "" {
				return awsSettings{}, fmt.Errorf("profile %q gets its credentials with %s, which kura does not support: export static keys (aws configure export-credentials --profile %s --format env)",
					profileName, k, profileName)
			}
		}
		return awsSettings{}, errors.New("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (kura server prints them at its first start), " +
			"name a profile with --profile or AWS_PROFILE, or pass --access-key and --secret-key")
	}

	s.Endpoint = in.Endpoint
	if s.Endpoint == "" && !strings.EqualFold(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		s.Endpoint = firstNonEmpty(getenv("AWS_ENDPOINT_URL_"+in.Service), getenv("AWS_ENDPOINT_URL"), cfgSec["endpoint_url"])
	}
	if s.Endpoint == "" {
		s.Endpoint = defaultEndpoint
	}
	s.Region = firstNonEmpty(in.Region, getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), cfgSec["region"], "us-east-1")
	s.CABundle = firstNonEmpty(in.CABundle, getenv("AWS_CA_BUNDLE"), cfgSec["ca_bundle"])
	return s, nil
}

// httpClient trusts the CA bundle, when there is one.
func (s awsSettings) httpClient(timeout time.Duration) (*http.Client, error) {
	return httpClientFor(s.CABundle, timeout)
}

func httpClientFor(caBundle string, timeout time.Duration) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caBundle != "" {
		pem, err := os.ReadFile(caBundle)
		if err != nil {
			return nil, fmt.Errorf("CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s: no PEM certificates in it", caBundle)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

// iniSection reads one [section] of an aws CLI config or credentials
// file: keys lower-cased, values trimmed; a missing file is no section.
func iniSection(path, section string) (map[string]string, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	out := map[string]string{}
	found, in := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && strings.HasSuffix(line, "]"):
			name := strings.Join(strings.Fields(line[1:len(line)-1]), " ")
			in = name == section
			found = found || in
		case in && line[0] != ' ':
			k, v, ok := strings.Cut(line, "=")
			if ok {
				out[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
	}
	return out, found, sc.Err()
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
