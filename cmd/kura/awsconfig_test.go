package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The aws CLI's order of endpoint, credentials, region and CA bundle
// (awsconfig.go), one case a row.
func TestResolveAWS(t *testing.T) {
	home := t.TempDir()
	write := func(name, body string) {
		if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, ".aws", name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("credentials", `[default]
aws_access_key_id = AKDEFAULT
aws_secret_access_key = skdefault

[team]
aws_access_key_id=AKTEAM
aws_secret_access_key=skteam
aws_session_token = tokteam
`)
	write("config", `[default]
region = eu-west-1

[profile team]
region = ap-south-1
endpoint_url = https://kura.team.example:8420
ca_bundle = /etc/kura/ca.pem

[profile sso]
sso_session = corp

[profile keysonly]
aws_access_key_id = AKCFG
aws_secret_access_key = skcfg
`)
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cases := []struct {
		name    string
		in      awsInput
		want    awsSettings
		wantErr string
	}{
		{"nothing set: the default profile and the local server",
			awsInput{Getenv: env()},
			awsSettings{Endpoint: defaultEndpoint, AccessKey: "AKDEFAULT", SecretKey: "skdefault", Region: "eu-west-1"}, ""},
		{"environment keys win over the default profile",
			awsInput{Getenv: env("AWS_ACCESS_KEY_ID", "AKENV", "AWS_SECRET_ACCESS_KEY", "skenv", "AWS_SESSION_TOKEN", "t", "AWS_REGION", "us-west-2")},
			awsSettings{Endpoint: defaultEndpoint, AccessKey: "AKENV", SecretKey: "skenv", SessionToken: "t", Region: "us-west-2"}, ""},
		{"AWS_ENDPOINT_URL, and AWS_ENDPOINT_URL_S3 over it",
			awsInput{Service: "S3", Getenv: env("AWS_ENDPOINT_URL", "http://all:1", "AWS_ENDPOINT_URL_S3", "http://s3:2")},
			awsSettings{Endpoint: "http://s3:2", AccessKey: "AKDEFAULT", SecretKey: "skdefault", Region: "eu-west-1"}, ""},
		{"AWS_ENDPOINT_URL for another service's variable",
			awsInput{Service: "KMS", Getenv: env("AWS_ENDPOINT_URL", "http://all:1", "AWS_ENDPOINT_URL_S3", "http://s3:2")},
			awsSettings{Endpoint: "http://all:1", AccessKey: "AKDEFAULT", SecretKey: "skdefault", Region: "eu-west-1"}, ""},
		{"AWS_PROFILE: its keys, region, endpoint and CA bundle",
			awsInput{Service: "S3", Getenv: env("AWS_PROFILE", "team")},
			awsSettings{Endpoint: "https://kura.team.example:8420", AccessKey: "AKTEAM", SecretKey: "skteam", SessionToken: "tokteam",
				Region: "ap-south-1", CABundle: "/etc/kura/ca.pem"}, ""},
		{"AWS_PROFILE yields to environment keys, as in the aws CLI",
			awsInput{Getenv: env("AWS_PROFILE", "team", "AWS_ACCESS_KEY_ID", "AKENV", "AWS_SECRET_ACCESS_KEY", "skenv")},
			awsSettings{Endpoint: "https://kura.team.example:8420", AccessKey: "AKENV", SecretKey: "skenv", Region: "ap-south-1", CABundle: "/etc/kura/ca.pem"}, ""},
		{"--profile wins over environment keys",
			awsInput{Profile: "team", Getenv: env("AWS_ACCESS_KEY_ID", "AKENV", "AWS_SECRET_ACCESS_KEY", "skenv")},
			awsSettings{Endpoint: "https://kura.team.example:8420", AccessKey: "AKTEAM", SecretKey: "skteam", SessionToken: "tokteam",
				Region: "ap-south-1", CABundle: "/etc/kura/ca.pem"}, ""},
		{"flags win over everything",
			awsInput{Endpoint: "http://flag:3", AccessKey: "AKFLAG", SecretKey: "skflag", Region: "sa-east-1", CABundle: "/ca.pem",
				Getenv: env("AWS_PROFILE", "team", "AWS_ENDPOINT_URL", "http://all:1", "AWS_REGION", "us-west-2", "AWS_CA_BUNDLE", "/env.pem")},
			awsSettings{Endpoint: "http://flag:3", AccessKey: "AKFLAG", SecretKey: "skflag", Region: "sa-east-1", CABundle: "/ca.pem"}, ""},
		{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
			awsInput{Getenv: env("AWS_PROFILE", "team", "AWS_ENDPOINT_URL", "http://all:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")},
			awsSettings{Endpoint: defaultEndpoint, AccessKey: "AKTEAM", SecretKey: "skteam", SessionToken: "tokteam", Region: "ap-south-1", CABundle: "/etc/kura/ca.pem"}, ""},
		{"keys in the config file",
			awsInput{Profile: "keysonly", Getenv: env()},
			awsSettings{Endpoint: defaultEndpoint, AccessKey: "AKCFG", SecretKey: "skcfg", Region: "us-east-1"}, ""},
		{"a profile that does not exist", awsInput{Profile: "nope", Getenv: env()}, awsSettings{}, `profile "nope" is not in`},
		{"an SSO profile", awsInput{Profile: "sso", Getenv: env()}, awsSettings{}, "sso_session, which kura does not support"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Home = home
			got, err := resolveAWS(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.CredentialSource = ""
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	// No credentials anywhere: the error says where they can come from.
	if _, err := resolveAWS(awsInput{Getenv: env(), Home: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Errorf("without credentials: %v", err)
	}
}
