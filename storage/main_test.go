package storage_test

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// TestMain runs the tests, then, with REDIS_HA_TESTS=1 and no -run filter,
// checks that every Lua script of the package ran on the Cluster (so each
// was checked there for keys outside one slot), and stops the shared
// Sentinel and Cluster fixtures.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && storagetest.HAEnabled() && flag.Lookup("test.run").Value.String() == "" {
		if err := everyScriptRan("cluster"); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL:", err)
			code = 1
		}
	}
	storagetest.StopShared()
	os.Exit(code)
}

// everyScriptRan reports the scripts of this package's source that no
// test ran on the given kind of server.
func everyScriptRan(kind string) error {
	scripts, err := packageScripts(".")
	if err != nil {
		return err
	}
	ran := storagetest.ScriptsRun(kind)
	var missing []string
	for name, sha := range scripts {
		if !ran[sha] && !singleServerOnly[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(scripts) == 0 {
		return fmt.Errorf("found no redis.NewScript in the package source")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%d of %d scripts never ran on the %s in the storage tests (add a test that calls them): %s",
			len(missing), len(scripts), kind, strings.Join(missing, ", "))
	}
	return nil
}

// singleServerOnly are scripts that never run on a Cluster by design.
var singleServerOnly = map[string]bool{
	"renameIfOld": true, // migrateKeys: the old key names exist only on a single server
}

// packageScripts maps each `var x = redis.NewScript("…")` of the package
// in dir to the script's SHA1.
func packageScripts(dir string) (map[string]string, error) {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			return nil, err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Values) != 1 {
				return true
			}
			call, ok := vs.Values[0].(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "NewScript" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok {
				return true
			}
			src, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			out[vs.Names[0].Name] = redis.NewScript(src).Hash()
			return true
		})
	}
	return out, nil
}
