package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/spf13/cobra"
)

// adminFlags are the connection flags of `kura admin`.
type adminFlags struct {
	endpoint, accessKey, secretKey, caBundle string
}

// newAdminCmd is `kura admin`: deployment administration through Kura's
// own query actions on the IAM endpoint (KuraCreateAccount,
// KuraListAccounts), signed with the first account's root credentials.
func newAdminCmd() *cobra.Command {
	f := &adminFlags{}
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer the deployment: accounts",
		Long: `admin manages Kura accounts through Kura's own actions on the IAM endpoint
(docs/architecture.md, "Accounts and IAM"). Only the first account's root
may use them: its credentials come from --admin-access-key and
--admin-secret-key, else $KURA_ROOT_ACCESS_KEY and $KURA_ROOT_SECRET_KEY,
else $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY. Output is JSON.`,
		Example: `  kura admin account create --name team-a --email a@example.com
  kura admin account create --name alt --access-key NOPQRSTUVWXYZABCDEFG --secret-key nopqrstuvwxyzabcdefghijklmnabcdefghijklm
  kura admin account list`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.endpoint, "endpoint", "", "Kura endpoint URL (default $AWS_ENDPOINT_URL_IAM, $AWS_ENDPOINT_URL, the profile's endpoint_url, else "+defaultEndpoint+")")
	pf.StringVar(&f.accessKey, "admin-access-key", "", "the first account's root access key (default $KURA_ROOT_ACCESS_KEY, else $AWS_ACCESS_KEY_ID)")
	pf.StringVar(&f.secretKey, "admin-secret-key", "", "its secret key (default $KURA_ROOT_SECRET_KEY, else $AWS_SECRET_ACCESS_KEY)")
	pf.StringVar(&f.caBundle, "ca-bundle", os.Getenv("AWS_CA_BUNDLE"), "PEM file of CAs to trust for HTTPS (default $AWS_CA_BUNDLE)")
	jsonAlways(pf)

	account := &cobra.Command{Use: "account", Short: "Create and list accounts"}
	var in struct{ name, email, canonicalID, displayName, accessKey, secretKey string }
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an account and its root access key",
		Long: `create makes a new account (an owner of buckets, KMS keys and IAM entities)
and prints its id, canonical user id and root access key pair. The secret is
shown only here. --access-key/--secret-key fix the root key pair instead of
generating one (it must be unique in the deployment).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			form := url.Values{"Action": {"KuraCreateAccount"}, "Version": {"2010-05-08"}, "AccountName": {in.name}}
			for k, v := range map[string]string{"Email": in.email, "CanonicalId": in.canonicalID, "DisplayName": in.displayName,
				"AccessKeyId": in.accessKey, "SecretAccessKey": in.secretKey} {
				if v != "" {
					form.Set(k, v)
				}
			}
			var out struct {
				Account   accountJSON `xml:"KuraCreateAccountResult>Account"`
				AccessKey struct {
					AccessKeyID     string `xml:"AccessKeyId" json:"AccessKeyId"`
					SecretAccessKey string `xml:"SecretAccessKey" json:"SecretAccessKey"`
				} `xml:"KuraCreateAccountResult>AccessKey"`
			}
			if err := f.call(cmd.Context(), form, &out); err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), map[string]any{"Account": out.Account, "AccessKey": out.AccessKey})
		},
	}
	cf := create.Flags()
	cf.StringVar(&in.name, "name", "", "account name (unique)")
	cf.StringVar(&in.email, "email", "", "account email (unique; used by S3 grants by email)")
	cf.StringVar(&in.canonicalID, "canonical-id", "", "S3 canonical user id (default: 64 random hex characters)")
	cf.StringVar(&in.displayName, "display-name", "", "S3 owner display name (default: the name)")
	cf.StringVar(&in.accessKey, "access-key", "", "fixed root access key id (default: generated)")
	cf.StringVar(&in.secretKey, "secret-key", "", "fixed root secret key (with --access-key)")
	_ = create.MarkFlagRequired("name")

	list := &cobra.Command{
		Use:   "list",
		Short: "List every account",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				Accounts []accountJSON `xml:"KuraListAccountsResult>Accounts>member"`
			}
			if err := f.call(cmd.Context(), url.Values{"Action": {"KuraListAccounts"}, "Version": {"2010-05-08"}}, &out); err != nil {
				return err
			}
			if out.Accounts == nil {
				out.Accounts = []accountJSON{}
			}
			return printJSON(cmd.OutOrStdout(), map[string]any{"Accounts": out.Accounts})
		},
	}
	account.AddCommand(create, list)
	cmd.AddCommand(account)
	return cmd
}

// accountJSON is an account as the admin actions return it.
type accountJSON struct {
	AccountID   string `xml:"AccountId" json:"AccountId"`
	Name        string `xml:"AccountName" json:"AccountName"`
	Email       string `xml:"Email" json:"Email,omitempty"`
	CanonicalID string `xml:"CanonicalId" json:"CanonicalId"`
	DisplayName string `xml:"DisplayName" json:"DisplayName"`
	CreateDate  string `xml:"CreateDate" json:"CreateDate"`
}

// call POSTs one query action to the IAM endpoint, signed for iam in
// us-east-1 (IAM is global), and decodes the XML response into out.
func (f *adminFlags) call(ctx context.Context, form url.Values, out any) error {
	if ctx == nil {
		ctx = context.Background()
	}
	creds, err := f.credentials()
	if err != nil {
		return err
	}
	client, err := f.httpClient()
	if err != nil {
		return err
	}
	body := []byte(form.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(f.resolvedEndpoint(), "/")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now()); err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		if xml.Unmarshal(b, &e) != nil || e.Code == "" {
			return fmt.Errorf("%s: HTTP %d", form.Get("Action"), resp.StatusCode)
		}
		return fmt.Errorf("%s: %s", form.Get("Action"), codeText(e.Code, e.Message))
	}
	if err := xml.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s: unreadable response: %w", form.Get("Action"), err)
	}
	return nil
}

// resolvedEndpoint is --endpoint, else the environment's or the
// profile's endpoint as the aws CLI finds it, else the local default.
func (f *adminFlags) resolvedEndpoint() string {
	if f.endpoint != "" {
		return f.endpoint
	}
	if strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		return defaultEndpoint
	}
	if e := firstNonEmpty(os.Getenv("AWS_ENDPOINT_URL_IAM"), os.Getenv("AWS_ENDPOINT_URL")); e != "" {
		return e
	}
	home, _ := os.UserHomeDir()
	profile := firstNonEmpty(os.Getenv("AWS_PROFILE"), "default")
	section := "profile " + profile
	if profile == "default" {
		section = "default"
	}
	if sec, _, err := iniSection(firstNonEmpty(os.Getenv("AWS_CONFIG_FILE"), filepath.Join(home, ".aws", "config")), section); err == nil && sec["endpoint_url"] != "" {
		return sec["endpoint_url"]
	}
	return defaultEndpoint
}

func (f *adminFlags) credentials() (aws.Credentials, error) {
	ak, sk := f.accessKey, f.secretKey
	// Environment fallbacks keep secrets out of shell history.
	for _, env := range [][2]string{{"KURA_ROOT_ACCESS_KEY", "KURA_ROOT_SECRET_KEY"}, {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}} {
		if ak == "" && sk == "" {
			ak, sk = os.Getenv(env[0]), os.Getenv(env[1])
		}
	}
	if ak == "" || sk == "" {
		return aws.Credentials{}, errors.New("the first account's root credentials are required: --admin-access-key and --admin-secret-key, or KURA_ROOT_ACCESS_KEY and KURA_ROOT_SECRET_KEY")
	}
	return aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}, nil
}

func (f *adminFlags) httpClient() (*http.Client, error) {
	c := &http.Client{Timeout: time.Minute}
	if f.caBundle == "" {
		return c, nil
	}
	pem, err := os.ReadFile(f.caBundle)
	if err != nil {
		return nil, fmt.Errorf("--ca-bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-bundle: no certificate in %s", f.caBundle)
	}
	c.Transport = &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: &tls.Config{RootCAs: pool}}
	return c, nil
}
