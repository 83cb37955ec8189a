package s3api

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"github.com/kurastore/kura/internal/conv"
)

// The *-get.xml files were written by the code before s3api had its own
// XML types for lifecycle and CORS (it marshalled meta's record types
// through their xml tags): GET must keep answering those bytes for what
// the matching *-put.xml configured. Parsing and rendering go through the
// kura types, as a stored configuration does. website-get.xml was
// written with the website API and holds its answer the same way.
func TestConfigXMLGolden(t *testing.T) {
	render := func(v any) []byte {
		var buf bytes.Buffer
		buf.WriteString(xml.Header)
		if err := xml.NewEncoder(&buf).Encode(v); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	cases := []struct {
		name string
		get  func(put []byte) (any, error)
	}{
		{"lifecycle", func(put []byte) (any, error) {
			rules, err := parseAndValidateLifecycle(put)
			return lifecycleConfiguration{NS: s3NS, Rules: conv.Slice(rules, lifecycleRuleToXML)}, err
		}},
		{"website", func(put []byte) (any, error) {
			w, err := parseWebsiteConfiguration(put)
			if err != nil {
				return nil, err
			}
			return websiteToXML(w), nil
		}},
		{"cors", func(put []byte) (any, error) {
			rules, err := parseAndValidateCORS(put)
			return corsConfiguration{NS: s3NS, Rules: conv.Slice(rules, corsRuleToXML)}, err
		}},
	}
	for _, tc := range cases {
		put, err := os.ReadFile(filepath.Join("testdata", tc.name+"-put.xml"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata", tc.name+"-get.xml"))
		if err != nil {
			t.Fatal(err)
		}
		v, err := tc.get(put)
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.name, err)
		}
		if got := render(v); !bytes.Equal(got, want) {
			t.Errorf("%s: GET body differs:\n got %s\nwant %s", tc.name, got, want)
		}
	}
}
