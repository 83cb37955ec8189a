package s3err

import (
	"bufio"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The error catalogue: every code, status and message Kura can send, with
// where the text comes from. It is generated from the source (the def calls
// in codes.go and every WithMessage call under internal/ and cmd/), so a
// change to any of them fails TestErrorsGolden until the catalogue is
// regenerated with -update and the new row is given a source by hand.
const goldenPath = "../../docs/errors.md"

var update = flag.Bool("update", false, "rewrite docs/errors.md from the source, keeping the sources already recorded")

// unsourced marks a row -update added; the test fails until it is replaced.
const unsourced = "UNSOURCED: say where this text comes from"

type row struct {
	section string // "default" or "call site"
	code    string
	status  string
	message string
	source  string
}

func (r row) key() string { return r.section + "\x00" + r.code + "\x00" + r.message }

func TestErrorsGolden(t *testing.T) {
	defs, order := parseDefs(t, "codes.go")
	var rows []row
	for _, name := range order {
		d := defs[name]
		rows = append(rows, row{section: "default", code: d.code, status: d.status, message: d.message})
	}
	sites := callSiteMessages(t, defs, "../../internal", "../../cmd")
	rows = append(rows, sites...)

	old := readGolden(t)
	for i := range rows {
		if s, ok := old[rows[i].key()]; ok {
			rows[i].source = s
		} else {
			rows[i].source = unsourced
		}
	}
	got := renderGolden(rows)
	if *update {
		if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v: run go test ./internal/s3err -run TestErrorsGolden -update", err)
	}
	if string(want) != got {
		t.Errorf("docs/errors.md is out of date with the error definitions: an error code, status or message changed.\n"+
			"If the change is deliberate, run go test ./internal/s3err -run TestErrorsGolden -update and give each new row a source.\n%s",
			firstDiff(string(want), got))
	}
	for _, r := range rows {
		if r.source == unsourced || strings.TrimSpace(r.source) == "" {
			t.Errorf("docs/errors.md: %s %q has no source; say where the text comes from (AWS capture URL, AWS doc, kura, unverified)", r.code, r.message)
		}
	}
}

type defn struct{ code, status, message string }

// parseDefs reads the `Name = def("Code", status, "message")` declarations.
func parseDefs(t *testing.T, file string) (map[string]defn, []string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defs := map[string]defn{}
	var order []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Values) != 1 {
			return true
		}
		call, ok := vs.Values[0].(*ast.CallExpr)
		if !ok || len(call.Args) != 3 {
			return true
		}
		if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "def" {
			return true
		}
		code, ok1 := stringLit(call.Args[0])
		status, ok2 := call.Args[1].(*ast.BasicLit)
		msg, ok3 := stringLit(call.Args[2])
		if !ok1 || !ok2 || !ok3 {
			t.Fatalf("%s: def for %s is not literal", file, vs.Names[0].Name)
		}
		defs[vs.Names[0].Name] = defn{code, status.Value, msg}
		order = append(order, vs.Names[0].Name)
		return true
	})
	if len(order) == 0 {
		t.Fatal("no def calls found in codes.go")
	}
	return defs, order
}

// callSiteMessages finds every X.WithMessage(format, args...) outside this
// package and reports the code of X (when X is s3err.Name, possibly through
// With/WithHeader/Wrap) and the message as written: the format, with "%s"
// and a literal argument folded together, constants of the same package
// resolved, and anything computed shown as a %v placeholder.
func callSiteMessages(t *testing.T, defs map[string]defn, roots ...string) []row {
	t.Helper()
	seen := map[string]bool{}
	var rows []row
	for _, root := range roots {
		pkgs := map[string][]*ast.File{}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				return err
			}
			if f.Name.Name == "s3err" {
				return nil
			}
			pkgs[filepath.Dir(path)] = append(pkgs[filepath.Dir(path)], f)
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, files := range pkgs {
			consts := stringConsts(files)
			for _, f := range files {
				locals := localErrors(f)
				ast.Inspect(f, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					sel, ok := call.Fun.(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != "WithMessage" || len(call.Args) == 0 {
						return true
					}
					code, status := "(computed)", "-"
					name := receiverDef(sel.X)
					if id, ok := sel.X.(*ast.Ident); ok && name == "" {
						name = locals[id.Name]
					}
					if name != "" {
						if d, ok := defs[name]; ok {
							code, status = d.code, d.status
						}
					}
					msg := messageOf(call.Args, consts)
					r := row{section: "call site", code: code, status: status, message: msg}
					if !seen[r.key()] {
						seen[r.key()] = true
						rows = append(rows, r)
					}
					return true
				})
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].code != rows[j].code {
			return rows[i].code < rows[j].code
		}
		return rows[i].message < rows[j].message
	})
	return rows
}

// localErrors maps the local variables of a file that are assigned an s3err
// error (e := s3err.IncompleteBody, bad := s3err.InvalidArgument.With(...))
// to the variable they start from, so WithMessage on them is attributed.
func localErrors(f *ast.File) map[string]string {
	m := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != len(as.Rhs) {
			return true
		}
		for i, l := range as.Lhs {
			if id, ok := l.(*ast.Ident); ok {
				if name := receiverDef(as.Rhs[i]); name != "" {
					m[id.Name] = name
				}
			}
		}
		return true
	})
	return m
}

// receiverDef names the s3err variable an error expression starts from.
func receiverDef(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.CallExpr:
			sel, ok := x.Fun.(*ast.SelectorExpr)
			if !ok {
				return ""
			}
			switch sel.Sel.Name {
			case "With", "WithHeader", "Wrap", "WithMessage":
				e = sel.X
			default:
				return ""
			}
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok && id.Name == "s3err" {
				return x.Sel.Name
			}
			return ""
		default:
			return ""
		}
	}
}

func stringConsts(files []*ast.File) map[string]string {
	m := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || (gd.Tok != token.CONST && gd.Tok != token.VAR) {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				for i, v := range vs.Values {
					if lit, ok := stringLit(v); ok && i < len(vs.Names) {
						m[vs.Names[i].Name] = lit
					}
				}
			}
		}
	}
	return m
}

func messageOf(args []ast.Expr, consts map[string]string) string {
	format := render(args[0], consts)
	if format == "%s" && len(args) == 2 {
		return render(args[1], consts)
	}
	return format
}

// render writes a string expression: literals as they are, constants
// resolved, concatenations joined, anything else as %v.
func render(e ast.Expr, consts map[string]string) string {
	if s, ok := stringLit(e); ok {
		return s
	}
	switch x := e.(type) {
	case *ast.Ident:
		if s, ok := consts[x.Name]; ok {
			return s
		}
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			return render(x.X, consts) + render(x.Y, consts)
		}
	case *ast.ParenExpr:
		return render(x.X, consts)
	}
	return "%v"
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

const goldenHeader = `# Kura's S3 errors

Generated by ` + "`go test ./internal/s3err -run TestErrorsGolden -update`" + ` from
internal/s3err/codes.go (the default of each error) and every ` + "`WithMessage`" + ` call
under internal/ and cmd/ (the texts that replace a default). The test fails when
a code, status or message changes without this file, so every change to what
clients read is deliberate. Only the **source** column is written by hand; -update
keeps it for rows whose code and message did not change.

Sources, strongest first:

- **AWS capture**: the text as real S3 sent it, quoted in a public issue (URL).
  A capture wins over the documentation: the error table in the API reference
  (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html) rewrites
  many messages ("that you", "might", a final period) that S3 does not send.
- **AWS doc**: the API reference (the ErrorResponses table or the operation's page)
  gives this text; no capture contradicts it.
- **unverified**: worded as S3 words it as far as is known, but no capture or
  document was found to check it against.
- **kura**: Kura's own text, for a condition S3 has no text for (features Kura
  does not implement, its built-in KMS, its own limits).

A message with %v is computed at the call site (the reason a policy or a
signature check gives); its parts are checked where they are written.
`

func renderGolden(rows []row) string {
	var b strings.Builder
	b.WriteString(goldenHeader)
	section := ""
	for _, r := range rows {
		if r.section != section {
			section = r.section
			switch section {
			case "default":
				b.WriteString("\n## Defaults (internal/s3err/codes.go)\n\n")
			case "call site":
				b.WriteString("\n## Messages set at call sites (WithMessage)\n\n")
			}
			b.WriteString("| code | status | message | source |\n|---|---|---|---|\n")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(r.code), r.status, cell(r.message), cell(r.source))
	}
	return b.String()
}

// cell escapes a table cell: a pipe would end it, a newline the row.
func cell(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", `\n`)
}

func uncell(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			if s[i] == 'n' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// readGolden returns the recorded source of each row, keyed as row.key.
func readGolden(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	f, err := os.Open(goldenPath)
	if os.IsNotExist(err) {
		return m
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## Defaults"):
			section = "default"
		case strings.HasPrefix(line, "## Messages set at call sites"):
			section = "call site"
		case strings.HasPrefix(line, "| ") && section != "":
			cells := splitRow(line)
			if len(cells) != 4 || cells[0] == "code" {
				continue
			}
			r := row{section: section, code: uncell(cells[0]), message: uncell(cells[2])}
			m[r.key()] = uncell(cells[3])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// splitRow splits "| a | b |" on unescaped pipes.
func splitRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "| "), " |")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line):
			cur.WriteByte(line[i])
			cur.WriteByte(line[i+1])
			i++
		case strings.HasPrefix(line[i:], " | "):
			cells = append(cells, cur.String())
			cur.Reset()
			i += 2
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(cells, cur.String())
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("first difference at line %d:\n  file:   %s\n  source: %s", i+1, x, y)
		}
	}
	return ""
}
