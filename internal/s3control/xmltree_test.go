package s3control

import (
	"strings"
	"testing"

	"github.com/kurastore/kura/internal/s3err"
)

func TestParseTree(t *testing.T) {
	cases := []struct {
		name, doc, code, msg string
	}{
		{"ok", `<?xml version="1.0"?><A xmlns="urn:x"><B>1</B><B>2</B></A>`, "", ""},
		{"doctype ignored", `<!DOCTYPE A><A/>`, "", ""},
		{"empty", "  \n", "MalformedXML", "empty"},
		{"no element", `<?xml version="1.0"?>`, "MalformedXML", "no XML element"},
		{"two roots", `<A/><B/>`, "MalformedXML", "more than one root"},
		{"text outside", `<A/>junk`, "MalformedXML", "text outside"},
		{"unclosed", `<A><B></A>`, "MalformedXML", ""},
		{"undefined entity", `<A>&xxe;</A>`, "MalformedXML", ""},
		{"too deep", strings.Repeat("<A>", maxDepth+1) + strings.Repeat("</A>", maxDepth+1), "MalformedXML", "nested too deeply"},
		{"deep enough", strings.Repeat("<A>", maxDepth) + strings.Repeat("</A>", maxDepth), "", ""},
		{"too many", "<A>" + strings.Repeat("<B/>", maxElements) + "</A>", "MalformedXML", "too many elements"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseTree([]byte(tc.doc))
			if tc.code == "" {
				if err != nil {
					t.Fatalf("parseTree: %v", err)
				}
				return
			}
			e, ok := err.(*s3err.Error)
			if !ok || e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("parseTree = %v, want %s saying %q", err, tc.code, tc.msg)
			}
		})
	}
}

// TestReader: the reader's values and the messages of what is wrong
// with them, and that problems are collected, not just the first.
func TestReader(t *testing.T) {
	root, err := parseTree([]byte(`<R><S> x </S><E>Nope</E><B>maybe</B><I>12x</I><T>yesterday</T><L><m>a</m><m></m></L><Extra/></R>`))
	if err != nil {
		t.Fatal(err)
	}
	var p problems
	r := newReader(root, &p)
	if got := r.str("S", 1, 5); got != "x" {
		t.Errorf("str = %q (values are trimmed)", got)
	}
	r.enum("E", []string{"Yes", "No"})
	r.boolean("B")
	r.integer("I", 0, 100)
	r.timestamp("T")
	r.strList("L", 1, 10)
	r.reqStr("Missing", 1, 10)
	r.done()
	msg := p.error().(*s3err.Error).Message
	for _, want := range []string{`E "Nope" is not valid; valid values are: Yes, No.`, "B must be true or false.",
		"I must be a whole number from 0 to 100.", "T must be an ISO 8601 time", "L[2] must be at least 1 characters long."} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	// Five problems at most: the missing element and Extra are not named.
	if p.n != maxProblems || strings.Contains(msg, "Missing") || strings.Contains(msg, "Extra") {
		t.Errorf("%d problems: %q", p.n, msg)
	}
}
